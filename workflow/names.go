package workflow

import (
	"strings"

	"github.com/beian/beian"
)

// name is a display name in the two languages of the console.
type name struct{ zh, en string }

var stageNames = map[beian.Stage]name{
	beian.StageDraft:               {"草稿", "Draft"},
	beian.StageInitialReview:       {"初审中", "In initial review"},
	beian.StageNeedsFix:            {"待修改", "Needs fixes"},
	beian.StageSupplementRequested: {"待补充材料", "Supplement requested"},
	beian.StageVerification:        {"待核验", "Awaiting verification"},
	beian.StagePhotoReview:         {"复审中", "In photo review"},
	beian.StageSMSConfirmation:     {"工信部短信核验中", "Awaiting SMS confirmation"},
	beian.StageBureauReview:        {"管局审核中", "In bureau review"},
	beian.StageReturned:            {"已退回", "Returned"},
	beian.StageBureauRejected:      {"管局驳回", "Rejected by the bureau"},
	beian.StageApproved:            {"已通过", "Approved"},
	beian.StageAbandoned:           {"已放弃", "Abandoned"},
}

var eventNames = map[Event]name{
	Submit:             {"提交备案", "Submit"},
	Withdraw:           {"撤回", "Withdraw"},
	Abandon:            {"放弃备案", "Abandon"},
	ApproveInitial:     {"初审通过", "Approve initial review"},
	RejectInitial:      {"初审驳回", "Reject in initial review"},
	RequestSupplement:  {"要求补充材料", "Request supplementary material"},
	ProvideSupplement:  {"提交补充材料", "Provide supplementary material"},
	SupplementOverdue:  {"补充材料逾期", "Supplement overdue"},
	Resubmit:           {"重新提交备案", "Resubmit"},
	SubmitVerification: {"提交核验", "Submit verification"},
	ApprovePhoto:       {"复审通过", "Approve photo"},
	RejectPhoto:        {"复审驳回", "Reject photo"},
	SMSConfirmed:       {"短信核验通过", "SMS confirmed"},
	SMSFailed:          {"短信核验未通过", "SMS confirmation failed"},
	BureauApprove:      {"管局审核通过", "Bureau approves"},
	BureauReject:       {"管局驳回", "Bureau rejects"},
}

var actorNames = map[Actor]name{
	Customer:         {"客户", "Customer"},
	ProviderReviewer: {"接入商审核员", "Provider reviewer"},
	Verifier:         {"核验员", "Verifier"},
	System:           {"系统", "System"},
}

// StageName returns the stage's display name in the language: English for
// "en" and "en-…", Chinese (zh-CN) otherwise. An unknown stage is shown as
// its wire value.
func StageName(s beian.Stage, lang string) string { return pick(stageNames[s], string(s), lang) }

// EventName returns the event's display name in the language, as StageName does.
func EventName(e Event, lang string) string { return pick(eventNames[e], string(e), lang) }

// ActorName returns the actor's display name in the language, as StageName does.
func ActorName(a Actor, lang string) string { return pick(actorNames[a], string(a), lang) }

func pick(n name, wire, lang string) string {
	l := strings.ToLower(lang)
	switch {
	case n.zh == "":
		return wire
	case l == "en" || strings.HasPrefix(l, "en-"):
		return n.en
	}
	return n.zh
}
