package provider

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/notify"
	"github.com/beian/beian/outbox"
	"github.com/beian/beian/sqlstore"
)

// The message templates of reviews, verification and the registry's
// results (Rules REV-1, REV-4, REV-5, SUBJ-2, GATE-2, CAN-1, NOTE-1). Every
// one takes "order"; the others are listed per template.
const (
	TemplateReviewApproved  = "provider.review_approved"   // next
	TemplateReviewRejected  = "provider.review_rejected"   // items
	TemplatePhotoRejected   = "provider.photo_rejected"    // items
	TemplateSupplement      = "provider.supplement"        // due
	TemplateBureauApproved  = "provider.bureau_approved"   // number
	TemplateBureauRejected  = "provider.bureau_rejected"   // items, photo
	TemplateOrderReturned   = "provider.order_returned"    // reason
	TemplateFilingCancelled = "provider.filing_cancelled"  // number
	TemplateAccessLapsed    = "provider.access_lapsed"     // domains
	TemplateAccessLapseSoon = "provider.access_lapse_soon" // domains, until
	TemplateRegistryRefused = "provider.registry_refused"  // reason
	TemplateAccessServed    = "provider.transfer_served"   // domains, until
)

// ReviewTemplates adds the templates of this file to t, in zh-CN (the
// responsible person's language), for SMS and email (Rule NOTE-1).
func (s *Service) ReviewTemplates(t *notify.Templates) {
	add := func(name, sms, subject, text string) {
		t.MustAdd(name, "【ICP备案】"+sms, subject, "您好：\n\n"+text+"\n\n——ICP备案服务")
	}
	add(TemplateReviewApproved, "您的备案订单 {{.order}} 已通过审核，下一步：{{.next}}。请登录控制台查看。",
		"备案订单已通过审核", "您的备案订单 {{.order}} 已通过接入服务商审核。\n下一步：{{.next}}。\n请登录控制台查看订单进度。")
	add(TemplateReviewRejected, "您的备案订单 {{.order}} 未通过初审，共 {{.items}} 项需修改。请登录控制台按修改意见修改后重新提交。",
		"备案订单需修改", "您的备案订单 {{.order}} 未通过初审，共 {{.items}} 项需修改。\n请登录控制台查看每项的修改原因和建议，修改后重新提交备案。")
	add(TemplatePhotoRejected, "您的备案订单 {{.order}} 的核验照片未通过复审，共 {{.items}} 项原因。请登录控制台查看原因并重新提交核验照片。",
		"核验照片未通过复审", "您的备案订单 {{.order}} 的核验照片未通过复审（{{.items}} 项原因）。\n请登录控制台查看原因，重新拍摄并提交核验照片。")
	add(TemplateSupplement, "您的备案订单 {{.order}} 需补充材料，请在 {{.due}} 前登录控制台上传。",
		"备案订单需补充材料", "您的备案订单 {{.order}} 需要补充材料。\n请在 {{.due}} 前登录控制台查看要求并上传材料；逾期订单将退回修改。")
	add(TemplateBureauApproved, "您的备案订单 {{.order}} 已通过管局审核，备案号 {{.number}}。",
		"备案已通过管局审核", "您的备案订单 {{.order}} 已通过管局审核。\n备案号：{{.number}}\n请按规定在网站底部展示备案号。")
	add(TemplateBureauRejected, "您的备案订单 {{.order}} 未通过管局审核，共 {{.items}} 项需修改；{{.photo}}。请登录控制台修改后重新提交。",
		"备案未通过管局审核", "您的备案订单 {{.order}} 未通过管局审核，共 {{.items}} 项需修改。\n核验照片：{{.photo}}。\n请登录控制台查看修改意见，修改后重新提交。")
	add(TemplateOrderReturned, "您的备案订单 {{.order}} 已退回（{{.reason}}）。请登录控制台重新提交。",
		"备案订单已退回", "您的备案订单 {{.order}} 已退回：{{.reason}}。\n请登录控制台检查信息后重新提交。")
	add(TemplateFilingCancelled, "备案 {{.number}} 已注销，网站已停止接入。如需继续开办网站，请重新办理备案。",
		"备案已注销", "备案 {{.number}} 已被注销（订单 {{.order}}），网站已停止接入。\n如需继续开办网站，请重新办理备案。")
	add(TemplateAccessLapseSoon, "您的接入备案订单 {{.order}} 初审通过后的临时接入将于 {{.until}} 到期，到期前管局未审核通过时域名 {{.domains}} 将暂停访问。",
		"接入即将失效", "您的接入备案订单 {{.order}} 初审通过后的临时接入将于 {{.until}} 到期。\n到期前管局仍未审核通过时，域名 {{.domains}} 将暂停访问，管局通过后自动恢复。请留意审核进度。")
	add(TemplateAccessLapsed, "您的接入备案订单 {{.order}} 初审通过已满期限仍未获管局审核通过，域名 {{.domains}} 已暂停访问，管局通过后自动恢复。",
		"接入已失效", "您的接入备案订单 {{.order}} 的初审通过已到期，管局尚未审核通过。\n域名 {{.domains}} 已暂停访问；管局审核通过后将自动恢复，请留意审核进度。")
	add(TemplateRegistryRefused, "您的备案订单 {{.order}} 未被工信部备案系统受理（{{.reason}}），已退回。请登录控制台修改后重新提交。",
		"备案订单未被受理", "您的备案订单 {{.order}} 未被工信部备案系统受理：{{.reason}}。\n订单已退回，请登录控制台修改后重新提交。")
	add(TemplateAccessServed, "您的接入备案订单 {{.order}} 已通过初审，域名 {{.domains}} 已可访问至 {{.until}}，管局审核通过后长期有效。",
		"接入备案已通过初审", "您的接入备案订单 {{.order}} 已通过初审。\n域名 {{.domains}} 已可访问，有效至 {{.until}}；管局审核通过后长期有效。")
}

// notifyOrder sends the template by SMS and email to every responsible
// person the order names (subject and websites, each once), through the
// outbox in the caller's transaction (Rules REV-1, NOTE-1). data gets
// "order". An order without contact data sends nothing.
func (s *Service) notifyOrder(ctx context.Context, tx *sqlstore.Tx, o beian.Order, template string, data map[string]string) error {
	var d beian.OrderData
	_ = json.Unmarshal(o.Data, &d) // a form that does not decode has no contacts
	msg := map[string]string{"order": o.Number}
	for k, v := range data {
		msg[k] = v
	}
	persons := []beian.Person{d.Subject.Person}
	for _, w := range d.Websites {
		persons = append(persons, w.Person)
	}
	seen := map[string]bool{}
	for _, p := range persons {
		for _, c := range [][2]string{{outbox.SMS, p.Mobile}, {outbox.Email, p.Email}} {
			ch, to := c[0], strings.TrimSpace(c[1])
			if to == "" || seen[ch+to] {
				continue
			}
			seen[ch+to] = true
			if _, err := s.Outbox.Enqueue(ctx, tx, outbox.Message{Channel: ch, To: to, Template: template, Data: msg}); err != nil {
				return err
			}
		}
	}
	return nil
}
