package regulator

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"strconv"

	"github.com/beian/beian"
)

// policyItem is one rejection the sandbox bureau can give (Rule REV-5):
// what it concerns, its field path in the submission (for a website, the
// part after "websites[i]."), its action and its text in both languages.
type policyItem struct {
	scope      string // "subject", "website", "materials", "photo" or "cancel"
	field      string
	action     beian.ReviewAction
	reasonZH   string
	reasonEN   string
	suggestZH  string
	suggestEN  string
	forPersons bool // only for an order whose persons were verified (a photo)
}

// policyItems are the sandbox bureau's rejections, modelled on the reasons
// bureaus give most often (REV-3's list: incomplete subject or website
// data, documents not as required, the photo).
var policyItems = []policyItem{
	{scope: "subject", field: "subject.address", action: beian.ActionFixSubject,
		reasonZH: "主体通信地址不详细，未写到门牌号。", reasonEN: "The subject's mailing address is not detailed down to the street number.",
		suggestZH: "请填写与证件一致、精确到门牌号的详细地址。", suggestEN: "Give the full address, down to the street number, as on the certificate."},
	{scope: "subject", field: "subject.person.mobile", action: beian.ActionFixSubject,
		reasonZH: "主体负责人手机号码核实时无法接通。", reasonEN: "The subject's responsible person could not be reached on the mobile number given.",
		suggestZH: "请填写负责人本人可接通的手机号码。", suggestEN: "Give a mobile number on which the responsible person can be reached."},
	{scope: "website", field: "name", action: beian.ActionFixWebsite,
		reasonZH: "网站名称与网站内容不符。", reasonEN: "The website name does not match the website's content.",
		suggestZH: "请按网站实际内容修改网站名称，勿使用域名或纯字母数字。", suggestEN: "Name the website after its content, not after its domain or with letters and digits only."},
	{scope: "website", field: "remark", action: beian.ActionFixWebsite,
		reasonZH: "网站备注未说明网站的具体内容。", reasonEN: "The website remark does not describe what the website offers.",
		suggestZH: "请在网站备注中写明网站提供的具体内容和服务。", suggestEN: "Describe in the remark what the website offers and to whom."},
	{scope: "website", field: "person.mobile", action: beian.ActionFixWebsite,
		reasonZH: "网站负责人手机号码核实时无法接通。", reasonEN: "The website's responsible person could not be reached on the mobile number given.",
		suggestZH: "请填写网站负责人本人可接通的手机号码。", suggestEN: "Give a mobile number on which the website's responsible person can be reached."},
	{scope: "materials", field: "documents", action: beian.ActionFixMaterials,
		reasonZH: "证件扫描件不清晰，无法辨认证件号码。", reasonEN: "The certificate scan is not legible: its number cannot be read.",
		suggestZH: "请上传原件的彩色清晰扫描件。", suggestEN: "Upload a clear colour scan of the original certificate."},
	{scope: "photo", field: "verification", action: beian.ActionFixMaterials, forPersons: true,
		reasonZH: "核验照片背景不是服务商的专用幕布，或人像不清晰。", reasonEN: "The verification photo was not taken in front of the provider's curtain, or the face is not clear.",
		suggestZH: "请在服务商幕布前重新拍摄核验照片。", suggestEN: "Take the verification photo again in front of the provider's curtain."},
	{scope: "cancel", field: "documents", action: beian.ActionFixMaterials,
		reasonZH: "注销申请书未由主体负责人签字或未加盖公章。", reasonEN: "The cancellation request is not signed by the responsible person or not sealed.",
		suggestZH: "请上传签字并盖章的注销申请书。", suggestEN: "Upload the cancellation request, signed and sealed."},
}

// policyRand is the deterministic random source of one choice about a
// submission: the same seed, submission id and purpose give the same
// sequence on every instance and every run.
func policyRand(seed int64, id, purpose string) *rand.Rand {
	sum := sha256.Sum256([]byte(strconv.FormatInt(seed, 10) + "\x00" + id + "\x00" + purpose))
	return rand.New(rand.NewPCG(binary.BigEndian.Uint64(sum[:8]), binary.BigEndian.Uint64(sum[8:16])))
}

// policyRejects reports whether the policy rejects the submission: a
// uniform draw in [0, 1) below RejectShare (Rule REV-5), so a share of 0
// never rejects and 1 always does.
func policyRejects(p BureauPolicy, id string) bool {
	return policyRand(p.Seed, id, "reject").Float64() < p.RejectShare
}

// policyRejection chooses one or two distinct items for the submission
// from policyItems, with fields that exist in it (Rule REV-5): a
// cancellation gets the cancellation item; another order gets items on its
// subject, one of its websites, its documents or, when its persons were
// verified, its photo.
func policyRejection(p BureauPolicy, sub StoredSubmission) []beian.ReviewItem {
	rnd := policyRand(p.Seed, sub.ID, "items")
	cancel := sub.Type == beian.CancelSubject || sub.Type == beian.CancelWebsite
	persons := sub.Type == beian.FirstFiling || sub.Type == beian.NewWebsite || sub.Type == beian.TransferIn
	for _, d := range sub.Data.Documents {
		persons = persons || d.Kind == "photo"
	}
	var pool []policyItem
	for _, it := range policyItems {
		switch {
		case cancel != (it.scope == "cancel"):
		case it.scope == "website" && len(sub.Data.Websites) == 0:
		case it.forPersons && !persons:
		default:
			pool = append(pool, it)
		}
	}
	n := min(1+rnd.IntN(2), len(pool))
	items := make([]beian.ReviewItem, 0, n)
	for _, k := range rnd.Perm(len(pool))[:n] {
		it := pool[k]
		field := it.field
		if it.scope == "website" {
			field = "websites[" + strconv.Itoa(rnd.IntN(len(sub.Data.Websites))) + "]." + field
		}
		items = append(items, beian.ReviewItem{Field: field, Reason: it.reasonZH + " / " + it.reasonEN,
			Suggestion: it.suggestZH + " / " + it.suggestEN, Action: it.action, Photo: it.scope == "photo"})
	}
	return items
}
