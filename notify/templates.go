package notify

import (
	"fmt"
	"strings"
	"sync"
	"text/template"

	"github.com/beian/beian/outbox"
)

// Rendered is a message ready to send: Text is the SMS or the email body,
// Subject is the email's subject (empty for SMS).
type Rendered struct {
	Subject string
	Text    string
}

// Templates holds the text of every message per template name and channel,
// in zh-CN (the responsible person's language). Templates are plain
// text/template with missingkey=error: a value the template needs and the
// message lacks fails rendering instead of sending a hole. Safe for
// concurrent use.
type Templates struct {
	mu  sync.RWMutex
	set map[string]*entry
}

type entry struct {
	sms, subject, email *template.Template // nil where the channel is not offered
}

// New returns the built-in templates: "test.hello" ({{.name}}) and the
// generic "notice" ({{.title}}, {{.body}}). Other packages add theirs with Add.
func New() *Templates {
	t := &Templates{set: map[string]*entry{}}
	t.MustAdd("test.hello",
		"【ICP备案】{{.name}}，您好！这是一条测试短信。",
		"测试邮件",
		"{{.name}}，您好：\n\n这是一封测试邮件。\n\n——ICP备案系统")
	t.MustAdd("notice",
		"【ICP备案】{{.title}}：{{.body}}",
		"{{.title}}",
		"{{.body}}\n\n——ICP备案系统")
	return t
}

// Add registers (or replaces) the template name. An empty smsText means the
// template is not sent by SMS; an empty emailSubject and emailText mean it is
// not sent by email. A text that does not parse is an error.
func (t *Templates) Add(name, smsText, emailSubject, emailText string) error {
	if name == "" {
		return fmt.Errorf("notify: template without a name")
	}
	if smsText == "" && emailSubject == "" && emailText == "" {
		return fmt.Errorf("notify: template %s has no text", name)
	}
	if (emailSubject == "") != (emailText == "") {
		return fmt.Errorf("notify: template %s: an email needs both a subject and a text", name)
	}
	var e entry
	var err error
	if e.sms, err = parse(name+"/sms", smsText); err != nil {
		return err
	}
	if e.subject, err = parse(name+"/subject", emailSubject); err != nil {
		return err
	}
	if e.email, err = parse(name+"/email", emailText); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.set[name] = &e
	return nil
}

// MustAdd is Add that panics on an error, for templates fixed at compile time.
func (t *Templates) MustAdd(name, smsText, emailSubject, emailText string) {
	if err := t.Add(name, smsText, emailSubject, emailText); err != nil {
		panic(err)
	}
}

func parse(name, text string) (*template.Template, error) {
	if text == "" {
		return nil, nil
	}
	tpl, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return nil, fmt.Errorf("notify: template %w", err)
	}
	return tpl, nil
}

// Render renders m's template for m's channel with m.Data. An unknown
// template, a channel the template does not offer, or a value missing from
// Data is an error. The error names the template and the missing key, never
// a value.
func (t *Templates) Render(m outbox.Message) (Rendered, error) {
	t.mu.RLock()
	e := t.set[m.Template]
	t.mu.RUnlock()
	if e == nil {
		return Rendered{}, fmt.Errorf("notify: unknown template %q", m.Template)
	}
	data := m.Data
	if data == nil {
		data = map[string]string{}
	}
	switch m.Channel {
	case outbox.SMS:
		if e.sms == nil {
			return Rendered{}, fmt.Errorf("notify: template %s has no SMS text", m.Template)
		}
		text, err := execute(e.sms, data)
		return Rendered{Text: text}, err
	case outbox.Email:
		if e.email == nil {
			return Rendered{}, fmt.Errorf("notify: template %s has no email text", m.Template)
		}
		subject, err := execute(e.subject, data)
		if err != nil {
			return Rendered{}, err
		}
		text, err := execute(e.email, data)
		// A subject is one line: a newline in a value must not start a header.
		subject = strings.Join(strings.Fields(subject), " ")
		return Rendered{Subject: subject, Text: text}, err
	}
	return Rendered{}, fmt.Errorf("notify: unknown channel %q", m.Channel)
}

func execute(tpl *template.Template, data map[string]string) (string, error) {
	var b strings.Builder
	if err := tpl.Execute(&b, data); err != nil {
		// text/template's errors name the template, position and key only.
		return "", fmt.Errorf("notify: render %w", err)
	}
	return b.String(), nil
}
