package regulator

import (
	"strings"
	"testing"

	"github.com/beian/beian/notify"
	"github.com/beian/beian/outbox"
)

// Rule NOTE-1: the registry's templates render by SMS and email with the
// values the pipeline sends, and carry the code or the password.
func TestRegisterTemplates(t *testing.T) {
	tpl := notify.New()
	RegisterTemplates(tpl)
	for _, tc := range []struct {
		name string
		data map[string]string
		want string
	}{
		{TemplateSMSCode, map[string]string{"code": "123456", "order": "O-1", "deadline": "2026-03-03 10:00"}, "123456"},
		{TemplatePasswordIssued, map[string]string{"password": "Abcdefgh2345", "subject_number": "浙ICP备2026000001号", "name": "张三"}, "Abcdefgh2345"},
	} {
		for _, ch := range outbox.Channels {
			r, err := tpl.Render(outbox.Message{Channel: ch, To: "x", Template: tc.name, Data: tc.data})
			if err != nil || !strings.Contains(r.Text, tc.want) || !strings.Contains(r.Text, "请") {
				t.Errorf("%s by %s: %q, %v", tc.name, ch, r.Text, err)
			}
		}
	}
}
