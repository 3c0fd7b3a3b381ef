package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"regexp"
	"slices"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/validate"
)

// demoProvince is a province the demo files in: its code, a login tag,
// and the city and district of its subjects (GB/T 2260).
type demoProvince struct{ code, tag, city, district, street string }

var demoProvinces = []demoProvince{
	{"110000", "bj", "110100", "110105", "北京市朝阳区建国路 8 号"},
	{"330000", "zj", "330100", "330106", "杭州市西湖区文三路 90 号"},
	{"440000", "gd", "440300", "440305", "深圳市南山区科技园路 6 号"},
	{"310000", "sh", "310100", "310104", "上海市徐汇区漕溪北路 18 号"},
}

func demoProvinceOf(code string) demoProvince {
	for _, p := range demoProvinces {
		if p.code == code {
			return p
		}
	}
	return demoProvinces[0]
}

// demoCase is one customer and the stage its first filing is left in.
type demoCase struct {
	login, province, nature, name, site, domain string
	stage                                       beian.Stage
}

// demoCases cover every stage of a first filing (Rule REV-8) in four
// provinces, for individuals and enterprises.
var demoCases = []demoCase{
	{"wang.approved", "110000", "individual", "王小明", "王小明的摄影日记", "wangxiaoming-photo.cn", beian.StageApproved},
	{"yunqi.approved", "330000", "enterprise", "杭州云栖数据科技有限公司", "云栖数据官网", "yunqi-data.com", beian.StageApproved},
	{"nanfang.bureau", "440000", "enterprise", "深圳南方云网络有限公司", "南方云官网", "nanfangyun.cn", beian.StageBureauReview},
	{"li.sms", "310000", "individual", "李静", "李静的读书笔记", "lijing-reading.cn", beian.StageSMSConfirmation},
	{"jinghua.photo", "110000", "enterprise", "北京京华信息技术有限公司", "京华信息官网", "jinghua-info.com", beian.StagePhotoReview},
	{"chen.verify", "330000", "individual", "陈晨", "陈晨的旅行相册", "chenchen-travel.cn", beian.StageVerification},
	{"zhao.fix", "440000", "individual", "赵磊", "赵磊的编程笔记", "zhaolei-code.cn", beian.StageNeedsFix},
	{"haishang.review", "310000", "enterprise", "上海海上文化传播有限公司", "海上文化官网", "haishang-culture.com", beian.StageInitialReview},
	{"liu.draft", "110000", "individual", "刘洋", "刘洋的跑步日志", "liuyang-run.cn", beian.StageDraft},
	{"sun.abandoned", "330000", "individual", "孙悦", "孙悦的烘焙日记", "sunyue-bake.cn", beian.StageAbandoned},
}

// demoStageRank orders the stages a first filing passes on its way to
// approval, so that "left in X" means "walked every step up to X".
var demoStageRank = []beian.Stage{beian.StageDraft, beian.StageInitialReview, beian.StageVerification, beian.StagePhotoReview,
	beian.StageSMSConfirmation, beian.StageBureauReview, beian.StageApproved}

// reaches reports whether the case walks through the stage.
func (dc demoCase) reaches(s beian.Stage) bool {
	return slices.Index(demoStageRank, dc.stage) >= slices.Index(demoStageRank, s)
}

// demoPeople hands out distinct responsible persons: a resident ID of the
// province (valid check character, Rule SUBJ-3), a mobile number and a
// last-6 for the registry's SMS confirmation (Rule VER-3).
type demoPeople struct {
	n     int
	last6 map[string]string // phone → last 6 characters of the certificate
}

func (d *demoPeople) person(name, province string) beian.Person {
	d.n++
	p := demoProvinceOf(province)
	var id string
	for seq := d.n * 7; ; seq++ {
		body := fmt.Sprintf("%s%d%02d%02d%03d", p.district, 1975+d.n%20, 1+d.n%12, 1+d.n%27, seq%1000)
		if c := validate.ResidentIDCheck(body); c != 0 {
			id = body + string(c)
			break
		}
	}
	phone := fmt.Sprintf("139%08d", 20260000+d.n)
	d.last6[phone] = id[len(id)-6:]
	return beian.Person{Name: name, CertType: "resident_id", CertNumber: id, Mobile: phone, Email: fmt.Sprintf("person%d@example.com", d.n)}
}

// demoUSCC is a valid unified social credit code of the province (Rule SUBJ-3).
func demoUSCC(province string, n int) string {
	for seq := n * 13; ; seq++ {
		org := fmt.Sprintf("%08d", 57300000+seq)
		body := "91" + demoProvinceOf(province).district + org + string(validate.OrgCodeCheck(org))
		if c := validate.USCCCheck(body); c != 0 {
			return body + string(c)
		}
	}
}

// form is the case's first-filing form on its resource.
func (dc demoCase) form(people *demoPeople, n int, resource int64, ip string) beian.OrderData {
	p := demoProvinceOf(dc.province)
	subj := beian.SubjectData{Nature: dc.nature, Name: dc.name, Province: p.code, City: p.city, District: p.district, Address: p.street}
	site := beian.WebsiteData{Name: dc.site, Domains: []string{dc.domain}, Homepage: "www." + dc.domain, ServerIPs: []string{ip}}
	if dc.nature == "individual" {
		subj.Person = people.person(dc.name, dc.province)
		subj.CertType, subj.CertNumber = "resident_id", subj.Person.CertNumber
		site.Person, site.ServiceContent = subj.Person, "blog"
		site.Remark = "个人博客，记录" + dc.site[len(dc.name)+len("的"):] + "，不含商业内容" // Rule WEB-3: personal filings describe the content
	} else {
		subj.CertType, subj.CertNumber = "uscc", demoUSCC(dc.province, n)
		subj.Person = people.person("张"+dc.name[:3]+"经理", dc.province)
		site.Person, site.ServiceContent = people.person("李"+dc.name[:3]+"主管", dc.province), "org_portal"
	}
	return beian.OrderData{Subject: beian.SubjectForm{SubjectData: subj},
		Websites: []beian.WebsiteForm{{WebsiteData: site, Resources: []beian.ResourceRef{{ResourceID: resource}}}}}
}

// demoPhoto is a sharp verification photo: a 600×800 checkerboard of
// 8-pixel squares passes the upload checks (Rule VER-1).
func demoPhoto() []byte {
	img := image.NewGray(image.Rect(0, 0, 600, 800))
	for y := range 800 {
		for x := range 600 {
			g := uint8(20)
			if (x/8+y/8)%2 == 0 {
				g = 230
			}
			img.SetGray(x, y, color.Gray{Y: g})
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img) // writes to memory
	return b.Bytes()
}

// smsCode finds a 6-digit code in a message body.
var smsCode = regexp.MustCompile(`\b\d{6}\b`)

// demoDate is the date d days from now on the sandbox clock, YYYY-MM-DD (CST).
func demoDate(now time.Time, days int) string {
	return now.AddDate(0, 0, days).In(beian.CST).Format(time.DateOnly)
}
