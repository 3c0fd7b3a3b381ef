package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/beian/beian"
	"github.com/beian/beian/calendar"
	"github.com/beian/beian/refdata"
)

// calendarAddCommand is `beian calendar add --from DATE (--days N | --province P)`
// (Rules CAL-1, REV-2): the date alone on stdout, estimate warnings on stderr.
func calendarAddCommand() *command {
	var from, province, dir string
	var days int
	return &command{
		name:    "calendar add",
		summary: "add business days to a date (or a province's bureau review duration); prints the date",
		usage:   "--from YYYY-MM-DD (--days N | --province P)",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&from, "from", "", "start `date` YYYY-MM-DD (China Standard Time); counting starts the business day after it")
			fs.IntVar(&days, "days", 0, "business days to add (negative counts back)")
			fs.StringVar(&province, "province", "", "add this `province`'s bureau review duration (name 浙江, abbreviation 浙 or code 330000)")
			fs.StringVar(&dir, "holidays-dir", "", "`folder` of YYYY.json holiday files that replace or extend the embedded ones")
		},
		run: func(e *env, fs *flag.FlagSet) error {
			given := map[string]bool{}
			fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
			if from == "" {
				return usagef("beian calendar add: --from is required, e.g. --from 2026-09-28")
			}
			start, err := beian.ParseDate(from)
			if err != nil {
				return usagef("beian calendar add: --from %q is not a date; write YYYY-MM-DD, e.g. 2026-09-28", from)
			}
			daysGiven := given["days"] || e.getenv("BEIAN_DAYS") != ""
			switch {
			case daysGiven && province != "":
				return usagef("beian calendar add: give --days or --province, not both")
			case !daysGiven && province == "":
				return usagef("beian calendar add: give --days N or --province P (name, abbreviation or code)")
			}
			n := days
			if province != "" {
				req, err := refdata.Default().Requirements(province, start)
				if err != nil {
					return usagef("beian calendar add: unknown province %q; use a name (浙江), an abbreviation (浙) or a GB/T 2260 code (330000)", province)
				}
				n = req.BureauReviewBusinessDays
			}
			cal, err := calendar.Load(dir)
			if err != nil {
				return fmt.Errorf("holiday files: %w (fix or remove the file named, then run again)", err)
			}
			due, estimated := cal.AddBusinessDays(start, n)
			if estimated {
				var years []string
				for y := min(start.Year(), due.Year()); y <= max(start.Year(), due.Year()); y++ {
					if cal.Estimated(y) {
						years = append(years, strconv.Itoa(y))
					}
				}
				fmt.Fprintf(e.stderr, "warning: no holiday file covers %s; the date is an estimate from the statutory holidays, without make-up workdays. Put YYYY.json files in --holidays-dir (BEIAN_HOLIDAYS_DIR) for an exact answer.\n", strings.Join(years, ", "))
			}
			_, err = fmt.Fprintln(e.stdout, due.Format("2006-01-02"))
			return err
		},
	}
}
