package page

import (
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"testing"

	"github.com/beian/beian/i18n"
)

// Both languages hold the same label keys.
func TestLabelsAgree(t *testing.T) {
	labels, err := loadLabels()
	if err != nil {
		t.Fatal(err)
	}
	zh := slices.Sorted(maps.Keys(labels[i18n.ZH]))
	for _, lang := range i18n.Langs {
		got := slices.Sorted(maps.Keys(labels[lang]))
		if !slices.Equal(got, zh) {
			t.Errorf("%s and zh-CN hold different keys:\n%v\n%v", lang, got, zh)
		}
		for k, v := range labels[lang] {
			if v == "" {
				t.Errorf("%s: label %s is empty", lang, k)
			}
		}
	}
}

// Every literal t "key" and msg "code" in the templates exists, so a page
// never fails at run time on a typo.
func TestTemplateKeysExist(t *testing.T) {
	labels, err := loadLabels()
	if err != nil {
		t.Fatal(err)
	}
	tKey := regexp.MustCompile(`\bt "([^"]+)"|field [.\w]+ "[^"]+" "[^"]+" "([^"]+)"|"hint" "([^"]+)"`)
	msgKey := regexp.MustCompile(`\bmsg "([^"]+)"`)
	err = fs.WalkDir(files, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, p)
		if err != nil {
			return err
		}
		for _, m := range tKey.FindAllStringSubmatch(string(b), -1) {
			for _, key := range m[1:] {
				if _, ok := labels[i18n.ZH][key]; key != "" && !ok {
					t.Errorf("%s: no label %q", p, key)
				}
			}
		}
		for _, m := range msgKey.FindAllStringSubmatch(string(b), -1) {
			if !i18n.Default().Has(i18n.ZH, m[1]) || !i18n.Default().Has(i18n.EN, m[1]) {
				t.Errorf("%s: no message %q", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
