package provider

import (
	"strings"
	"testing"

	"github.com/beian/beian/notify"
	"github.com/beian/beian/outbox"
)

// Rule NOTE-1: every message the provider sends has its template, and each
// renders with the values its callers give, on both channels.
func TestTemplatesRender(t *testing.T) {
	tpl := notify.New()
	RegisterTemplates(tpl)
	data := map[string]string{"order": "BA2026ABCDEF", "next": "核验", "items": "2", "due": "2026-03-09", "number": "浙ICP备2026000001号",
		"photo": "否", "reason": "sms_expired", "domains": "example.com", "until": "2026-04-16",
		"external_id": "ecs-1", "term_end": "2026-04-01", "days": "30"}
	for _, name := range []string{TemplateReviewApproved, TemplateReviewRejected, TemplatePhotoRejected, TemplateSupplement,
		TemplateBureauApproved, TemplateBureauRejected, TemplateOrderReturned, TemplateFilingCancelled, TemplateAccessLapsed,
		TemplateAccessLapseSoon, TemplateRegistryRefused, TemplateAccessServed, TemplateTermWarning} {
		for _, ch := range []string{outbox.SMS, outbox.Email} {
			r, err := tpl.Render(outbox.Message{ID: "m1", Channel: ch, To: "13800138000", Template: name, Data: data})
			if err != nil {
				t.Errorf("%s (%s): %v", name, ch, err)
				continue
			}
			if text := r.Text; strings.Contains(text, "<no value>") || strings.TrimSpace(text) == "" {
				t.Errorf("%s (%s) renders %q", name, ch, text)
			}
		}
	}
}
