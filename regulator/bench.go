package regulator

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/beian/beian/refdata"
)

// BenchSample holds values of a synthetic file to look up, for `beian
// bench registry`: about the requested number of each kind.
type BenchSample struct {
	Domains []string // registrable domains of its websites
	Numbers []string // subject and website numbers, alternately
	Names   []string // four-character prefixes of organisations' names
}

// Vocabulary of the synthetic filings.
var (
	benchChars      = []rune("华盛云天创新信达通科联中恒泰安瑞博宏鑫金海智德方正阳光明兴和丰源汇星宇领航远东诚")
	benchSurnames   = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	benchIndustries = []string{"网络科技", "信息技术", "电子商务", "文化传媒", "教育科技", "软件", "数据服务", "贸易"}
	benchSyllables  = []string{"hua", "sheng", "yun", "tian", "chuang", "xin", "da", "tong", "ke", "lian", "zhong",
		"heng", "tai", "an", "rui", "bo", "hong", "jin", "hai", "zhi", "de", "fang", "yang", "guang", "ming", "xing"}
	benchProviders = []string{"阿里云计算有限公司", "腾讯云计算（北京）有限责任公司", "华为云计算技术有限公司",
		"北京百度网讯科技有限公司", "成都西维数码科技有限公司", "厦门三五互联科技股份有限公司",
		"北京新网数码信息技术有限公司", "上海优刻得信息科技有限公司"}
	// The provinces that file most get a larger share; the others share the rest.
	benchWeights = map[string]int{"粤": 15, "京": 10, "浙": 9, "沪": 8, "苏": 8, "鲁": 5, "闽": 4, "蜀": 4}
)

// benchGen draws synthetic filings from a seeded generator.
type benchGen struct {
	rng       *rand.Rand
	provs     []refdata.Province
	weights   []int
	total     int
	counters  map[string]int // next sequence per province and serial kind
	domainSeq uint64
}

// WriteSynthetic writes an import file of n rows (websites) of synthetic
// filings to w, the same for the same seed: subjects across all provinces
// (the big ones more often) with 10-, 8- and 6-digit serials, 1–3 websites
// each, 1–2 domains per website, organisations' names sharing common
// prefixes (province, then two characters), some personal subjects, and one
// or two providers. With sample > 0 it returns about sample values of each
// lookup kind.
func WriteSynthetic(w io.Writer, n int, seed int64, sample int) (BenchSample, error) {
	g := &benchGen{rng: rand.New(rand.NewPCG(uint64(seed), 0x6265_6961_6e)), counters: map[string]int{}}
	for _, p := range refdata.Default().Provinces() {
		wt := benchWeights[p.Abbr]
		if wt == 0 {
			wt = 2
		}
		g.provs, g.weights, g.total = append(g.provs, p), append(g.weights, wt), g.total+wt
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	cw := csv.NewWriter(bw)
	var s BenchSample
	every := n + 1
	if sample > 0 {
		every = max(1, n/sample)
	}
	if err := cw.Write(ImportHeader); err != nil {
		return s, err
	}
	for row := 0; row < n; {
		p, serial, approved := g.subject()
		nature, unit := g.name(p)
		sites := 1 + g.pick(60, 30, 10)
		first := 1 + g.pick(90, 10) // a website cancelled before the import leaves a gap
		for site := first; site < first+sites && row < n; site, row = site+1, row+1 {
			subj := p.Abbr + "ICP备" + serial + "号"
			num := subj + "-" + strconv.Itoa(site)
			doms := g.domain()
			if g.pick(70, 30) == 1 {
				doms += ";" + g.domain()
			}
			prov := benchProviders[g.rng.IntN(len(benchProviders))]
			if g.pick(85, 15) == 1 {
				prov += ";" + benchProviders[g.rng.IntN(len(benchProviders))]
			}
			first, _, _ := strings.Cut(doms, ";")
			if err := cw.Write([]string{subj, unit, nature, p.Name, num, string([]rune(unit)[:2]) + "网站" + strconv.Itoa(site),
				doms, "www." + first, approved, prov}); err != nil {
				return s, err
			}
			if row%every == 0 {
				s.Domains = append(s.Domains, first)
				if len(s.Numbers)%2 == 0 {
					s.Numbers = append(s.Numbers, num)
				} else {
					s.Numbers = append(s.Numbers, subj)
				}
				if nature != "individual" {
					s.Names = append(s.Names, string([]rune(unit)[:4]))
				}
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return s, err
	}
	return s, bw.Flush()
}

// subject draws a province and a serial unique in the file, with the
// approval date that fits it.
func (g *benchGen) subject() (p refdata.Province, serial, approved string) {
	x := g.rng.IntN(g.total)
	for i, wt := range g.weights {
		if x < wt {
			p = g.provs[i]
			break
		}
		x -= wt
	}
	next := func(key string, start int) int {
		n := g.counters[key]
		if n == 0 {
			n = start
		}
		g.counters[key] = n + 1 + g.rng.IntN(2) // numbers of refused or withdrawn filings leave gaps
		return n
	}
	day := fmt.Sprintf("-%02d-%02d", 1+g.rng.IntN(12), 1+g.rng.IntN(28))
	switch g.pick(70, 20, 10) {
	case 0: // 10 digits: the year, then its sequence
		year := 2016 + g.rng.IntN(10)
		return p, fmt.Sprintf("%04d%06d", year, next(p.Abbr+strconv.Itoa(year), 1)), strconv.Itoa(year) + day
	case 1: // 8 digits: two of the year, then its sequence
		yy := 5 + g.rng.IntN(11)
		return p, fmt.Sprintf("%02d%06d", yy, next(p.Abbr+"yy"+strconv.Itoa(yy), 1)), fmt.Sprintf("20%02d", yy) + day
	}
	return p, fmt.Sprintf("%06d", next(p.Abbr+"6", 10000)), strconv.Itoa(2003+g.rng.IntN(5)) + day
}

// name draws a subject nature and name: organisations start with their
// province's name, persons are a surname and one or two characters.
func (g *benchGen) name(p refdata.Province) (nature, unit string) {
	two := string([]rune{benchChars[g.rng.IntN(len(benchChars))], benchChars[g.rng.IntN(len(benchChars))]})
	switch g.pick(78, 12, 5, 3, 2) {
	case 1:
		given := string([]rune(two)[:1])
		if g.pick(40, 60) == 1 {
			given = two
		}
		return "individual", string(benchSurnames[g.rng.IntN(len(benchSurnames))]) + given
	case 2:
		return "institution", p.Name + two + "研究院"
	case 3:
		return "social_organization", p.Name + two + "协会"
	case 4:
		return "government", p.Name + two + "管理局"
	}
	return "enterprise", p.Name + two + benchIndustries[g.rng.IntN(len(benchIndustries))] + "有限公司"
}

// domain draws a domain unique in the file on an approved TLD.
func (g *benchGen) domain() string {
	g.domainSeq++
	tld := []string{"com", "cn", "com.cn", "net", "top", "xyz", "org", "中国"}[g.pick(45, 25, 10, 8, 4, 3, 3, 2)]
	return benchSyllables[g.rng.IntN(len(benchSyllables))] + benchSyllables[g.rng.IntN(len(benchSyllables))] +
		strconv.FormatUint(g.domainSeq, 36) + "." + tld
}

// pick returns i with a chance proportional to weights[i].
func (g *benchGen) pick(weights ...int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := g.rng.IntN(total)
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}
