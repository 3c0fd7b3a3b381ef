package page

import (
	"net/http"
	"strconv"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/i18n"
	"github.com/beian/beian/web"
)

// cSMSData is the order page's SMS-confirmation part (Rule VER-3): who has
// and who has not confirmed, phones masked, the deadline and the time left.
type cSMSData struct {
	State       string // provider.SMSStatus's state, or "unavailable" when the registry could not be asked
	Deadline    string // CST, "2006-01-02 15:04"
	DeadlineISO string // RFC 3339, for <time datetime>
	Left        string // "还剩 19 小时 0 分钟…" in the language, "" once closed
	Persons     []cSMSPerson
	Confirmed   int  // how many confirmed
	Link        bool // this process serves /sms-verify (the registry's page)
}

// cSMSPerson is one responsible person's line.
type cSMSPerson struct {
	Role      string // label key: console.sms.role.subject or console.sms.role.website
	Website   string // the website's name for a website's person
	Name      string // the person's name (the account's own data)
	Phone     string // masked by the registry: 138****5678
	Confirmed bool
	Failures  int
}

// cSMSSection asks the provider (and through it the registry) for the
// order's SMS confirmation when the order is in sms_confirmation or was
// returned; nil in any other stage. A registry that cannot be asked gives
// the "unavailable" state, not an error page: the rest of the order page
// still helps.
func (p *Pages) cSMSSection(r *http.Request, o beian.Order) *cSMSData {
	if o.Stage != beian.StageSMSConfirmation && o.Stage != beian.StageReturned {
		return nil
	}
	d := &cSMSData{Link: p.opts.Registry != nil}
	st, err := p.opts.Provider.SMSStatus(r.Context(), o)
	if err != nil {
		p.log.WarnContext(r.Context(), "SMS confirmation state unavailable", "order", o.Number, "kind", beian.KindOf(err), "err", err)
		d.State = "unavailable"
		return d
	}
	lang := web.Lang(r)
	d.State = st.State
	if !st.Deadline.IsZero() {
		d.Deadline, d.DeadlineISO = bTime(st.Deadline), st.Deadline.In(beian.CST).Format(time.RFC3339)
	}
	if st.Left > 0 {
		mins := int64(st.Left.Round(time.Minute) / time.Minute)
		d.Left = i18n.Default().Message(lang, "page.console_sms_left",
			map[string]string{"hours": strconv.FormatInt(mins/60, 10), "minutes": strconv.FormatInt(mins%60, 10)})
	}
	for _, sp := range st.Persons {
		cp := cSMSPerson{Role: "console.sms.role.subject", Name: sp.Name, Phone: sp.MaskedPhone, Confirmed: sp.Confirmed, Failures: sp.Failures}
		if sp.Role != "subject" {
			cp.Role, cp.Website = "console.sms.role.website", sp.Website
		}
		if sp.Confirmed {
			d.Confirmed++
		}
		d.Persons = append(d.Persons, cp)
	}
	return d
}

// cPasswordSection says, on an approved order's page, where the filing
// password went and links its retrieval (Rules PWD-1, PWD-3) where this
// process serves /password.
type cPasswordSection struct {
	Link bool
}
