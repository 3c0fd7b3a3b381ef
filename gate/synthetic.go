package gate

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/beian/beian"
)

// Synthetic data for the gate's benchmarks (`beian bench gate`, the Go
// benchmarks, scripts/gate-vs-nginx.sh): deterministic, so that figures
// are comparable between runs.

var (
	synSyllables = []string{"zhong", "guo", "wang", "luo", "ke", "ji", "shu", "ma", "yun", "hua", "xin", "tian", "da", "bao",
		"jin", "long", "feng", "hai", "shan", "mei", "le", "you", "xue", "tang", "fang", "ming", "bo", "an", "kang", "sheng"}
	synSuffixes = []string{"com", "cn", "com", "net", "com.cn", "cn", "org", "top", "com", "xn--fiqs8s", "net.cn", "vip"}
	synAbbrs    = []string{"京", "沪", "浙", "粤", "苏", "川", "鲁", "闽", "鄂", "湘"}
)

// SyntheticDomain returns the i-th synthetic registrable domain of seed,
// e.g. "yunke-7f3q.com": one to three syllables, a base-36 tag after a
// hyphen that makes it unique, and a public suffix. Domains of different i differ.
func SyntheticDomain(seed uint64, i int) string {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	name := make([]byte, 0, 32)
	for range 1 + r.IntN(3) {
		name = append(name, synSyllables[r.IntN(len(synSyllables))]...)
	}
	name = append(name, '-')
	name = strconv.AppendInt(name, int64(i), 36)
	name = append(name, '.')
	name = append(name, synSuffixes[r.IntN(len(synSuffixes))]...)
	return string(name)
}

// SyntheticRow returns the i-th synthetic servable-domain row: about 85%
// served, the rest spread over the other reasons; websites hold one to
// three domains, so that numbers repeat as they do in life.
func SyntheticRow(seed uint64, i int) (domain, number string, reason beian.GateReason) {
	r := rand.New(rand.NewPCG(seed^0x9e3779b97f4a7c15, uint64(i)))
	site := i / 2
	number = fmt.Sprintf("%sICP备%d%06d号-%d", synAbbrs[site%len(synAbbrs)], 2010+site%17, site/170%1000000, 1+site%3)
	switch p := r.IntN(100); {
	case p < 85:
		reason = beian.GateServed
	case p < 90:
		reason, number = beian.GatePending, ""
	case p < 94:
		reason = beian.GateAccessCancelled
	case p < 97:
		reason = beian.GateCancelled
	default:
		reason = beian.GateLapsed
	}
	return SyntheticDomain(seed, i), number, reason
}

// SyntheticHosts returns count request hosts over n synthetic domains in
// random order: 40% apexes, 30% www., 10% deeper subdomains, and 20%
// unfiled domains (never among the n).
func SyntheticHosts(seed uint64, n, count int) []string {
	r := rand.New(rand.NewPCG(seed, 0xfeed))
	hosts := make([]string, count)
	for k := range hosts {
		switch p := r.IntN(100); {
		case p < 40:
			hosts[k] = SyntheticDomain(seed, r.IntN(n))
		case p < 70:
			hosts[k] = "www." + SyntheticDomain(seed, r.IntN(n))
		case p < 80:
			hosts[k] = "img.cdn." + SyntheticDomain(seed, r.IntN(n))
		default:
			hosts[k] = "www." + SyntheticDomain(seed, n+r.IntN(n+1))
		}
	}
	return hosts
}

// LoadSynthetic fills the gate's index with n synthetic rows at once, as a
// snapshot would (benchmarks without a database).
func (g *Gate) LoadSynthetic(seed uint64, n int) {
	ix := newIndex(n)
	bulk := newBulkLoader(ix)
	for i := range n {
		d, num, reason := SyntheticRow(seed, i)
		code, _ := reasonCode(reason)
		bulk.add([]byte(d), []byte(num), code)
	}
	bulk.flush()
	ix.compact()
	g.mu.Lock()
	g.ix.Store(ix)
	g.mu.Unlock()
}
