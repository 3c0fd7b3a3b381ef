package regulator

import "github.com/beian/beian/notify"

// templatePrefix is the registry's namespace of message templates. The
// names are not message codes of the catalogue, so they are built from the
// prefix rather than written as "registry.…" literals (codes_test.go
// takes every such literal for a message code).
const templatePrefix = "registry" + "."

// The registry's message templates (notify.Templates; Rule NOTE-1).
const (
	// TemplateSMSCode carries a VER-3 confirmation code: code, order, deadline.
	TemplateSMSCode = templatePrefix + "sms_code"
	// TemplatePasswordIssued carries a new filing password (Rule PWD-1):
	// password, subject_number, name.
	TemplatePasswordIssued = templatePrefix + "password_issued"
	// TemplatePasswordReset carries a new filing password that replaces the
	// old one after a retrieval, online (Rule PWD-3) or at a bureau (Rule
	// PWD-4): password, subject_number, name.
	TemplatePasswordReset = templatePrefix + "password_reset"
)

// RegisterTemplates adds the registry's templates to t, in zh-CN (the
// responsible person's language), for SMS and email.
func RegisterTemplates(t *notify.Templates) {
	t.MustAdd(TemplateSMSCode,
		"【工信部备案】您的备案订单 {{.order}} 的短信核验码为 {{.code}}，请在 {{.deadline}} 前在工信部备案系统短信核验页面输入核验码、手机号码和证件号码后六位完成核验。请勿将核验码告诉他人。",
		"ICP备案短信核验码",
		"您好：\n\n您的备案订单 {{.order}} 的短信核验码为 {{.code}}。\n请在 {{.deadline}} 前在工信部备案系统短信核验页面输入核验码、手机号码和证件号码后六位完成核验；逾期或输错 6 次，订单将退回接入服务商。\n请勿将核验码告诉他人。\n\n——工信部ICP/IP地址/域名信息备案管理系统")
	t.MustAdd(TemplatePasswordIssued,
		"【工信部备案】{{.name}}，您的主体备案号 {{.subject_number}} 已通过审核，备案密码为 {{.password}}。办理接入备案或注销主体时需要使用，请妥善保管，切勿告诉他人。",
		"ICP备案密码",
		"{{.name}}，您好：\n\n您的主体备案号 {{.subject_number}} 已通过管局审核，备案密码为：{{.password}}\n\n办理接入备案或注销主体时需要使用此密码。请妥善保管，切勿告诉他人；如遗失，可在工信部备案系统找回。\n\n——工信部ICP/IP地址/域名信息备案管理系统")
	t.MustAdd(TemplatePasswordReset,
		"【工信部备案】{{.name}}，您的主体备案号 {{.subject_number}} 的备案密码已重置，新密码为 {{.password}}，原密码已失效。请妥善保管，切勿告诉他人；如非本单位申请，请立即联系所在省通信管理局。",
		"ICP备案密码已重置",
		"{{.name}}，您好：\n\n根据找回备案密码的申请，您的主体备案号 {{.subject_number}} 的备案密码已重置，新密码为：{{.password}}\n原密码已失效。\n\n办理接入备案或注销主体时需要使用此密码。请妥善保管，切勿告诉他人；如非本单位申请，请立即联系所在省通信管理局。\n\n——工信部ICP/IP地址/域名信息备案管理系统")
}
