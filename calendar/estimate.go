package calendar

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/6tail/lunar-go/calendar"
	"github.com/beian/beian"
)

// The years for which lunar dates are computed. Outside them an estimate is
// weekends only, still marked estimated.
const (
	FirstLunarYear = 1901
	LastLunarYear  = 2099
)

// EstimateSource is the source of an estimated Year built from the statutory
// holidays; WeekendsOnlySource that of a year outside FirstLunarYear–LastLunarYear.
const (
	EstimateSource     = "estimate (Rule CAL-1): statutory holidays of 全国年节及纪念日放假办法 as revised in 2025 (元旦 1, 春节 4 from New Year's Eve, 清明 1, 劳动节 2, 端午 1, 中秋 1, 国庆 3), lunar dates and solar terms by github.com/6tail/lunar-go; no make-up workdays"
	WeekendsOnlySource = "estimate (Rule CAL-1): weekends only; no lunar data for years outside 1901–2099"
)

// estimates caches the tables of the estimated years, shared by every
// Calendar: they depend on nothing but the year.
var (
	estimates  [LastLunarYear - FirstLunarYear + 1]atomic.Pointer[table]
	estimateMu sync.Mutex // serialises lunar-go, whose year cache is global
)

// estimate returns the estimated table of a year without a file.
func estimate(year int) *table {
	if year < FirstLunarYear || year > LastLunarYear {
		return newTable(Year{Year: year, Source: WeekendsOnlySource, Off: []string{}, Workdays: []string{}}, true)
	}
	p := &estimates[year-FirstLunarYear]
	if t := p.Load(); t != nil {
		return t
	}
	estimateMu.Lock()
	defer estimateMu.Unlock()
	if t := p.Load(); t != nil {
		return t
	}
	t := newTable(buildEstimate(year), true)
	p.Store(t)
	return t
}

// Estimate builds the Year of the statutory holidays of the national
// regulation as revised in 2025 (Rule CAL-1): 元旦 January 1st; 春节 four
// days from lunar New Year's Eve (the last day of the 12th lunar month)
// through the 3rd day of the 1st lunar month; 清明 the day of the Qingming
// solar term; 劳动节 May 1st–2nd; 端午 lunar 5/5; 中秋 lunar 8/15; 国庆
// October 1st–3rd. It has no make-up workdays and no bridging days, which
// the State Council's yearly notices add. Outside FirstLunarYear–LastLunarYear
// it returns a year of weekends only.
func Estimate(year int) Year { return estimate(year).data.clone() }

// buildEstimate computes Estimate for a year in FirstLunarYear–LastLunarYear;
// the caller holds estimateMu.
func buildEstimate(year int) Year {
	y := Year{Year: year, Source: EstimateSource, Off: []string{}, Workdays: []string{}}
	date := func(m time.Month, d int) time.Time { return time.Date(year, m, d, 0, 0, 0, 0, beian.CST) }
	days := []time.Time{date(time.January, 1)}
	newYear := lunarDate(year, 1, 1)
	for i := -1; i <= 2; i++ {
		days = append(days, newYear.AddDate(0, 0, i))
	}
	days = append(days, qingming(year), date(time.May, 1), date(time.May, 2),
		lunarDate(year, 5, 5), lunarDate(year, 8, 15),
		date(time.October, 1), date(time.October, 2), date(time.October, 3))
	for _, d := range days {
		y.Off = append(y.Off, d.Format(time.DateOnly))
	}
	slices.Sort(y.Off)
	y.Off = slices.Compact(y.Off) // 中秋 may fall on October 1st–3rd (2020, 2001)
	if err := y.validate(); err != nil {
		panic(fmt.Sprintf("calendar: estimate for %d: %v", year, err))
	}
	return y
}

// lunarDate returns the Gregorian date of a day of a (non-leap) lunar month.
func lunarDate(year, month, day int) time.Time {
	s := calendar.NewLunarFromYmd(year, month, day).GetSolar()
	return time.Date(s.GetYear(), time.Month(s.GetMonth()), s.GetDay(), 0, 0, 0, 0, beian.CST)
}

// qingming returns the date of the Qingming (清明) solar term of the year.
func qingming(year int) time.Time {
	s := calendar.NewLunarFromSolar(calendar.NewSolarFromYmd(year, 5, 1)).GetJieQiTable()["清明"]
	return time.Date(s.GetYear(), time.Month(s.GetMonth()), s.GetDay(), 0, 0, 0, 0, beian.CST)
}
