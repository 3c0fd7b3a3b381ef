package page

import (
	"embed"
	"encoding/json"
	"io/fs"
	"maps"
	"slices"

	"github.com/beian/beian/i18n"
)

// Labels are the UI words that are not sentences (button texts, navigation,
// field labels, headings): the template function t reads them. Sentences
// that tell the user something live in the i18n catalogue (messages/*/page.json).
//
//go:embed labels/*.json
var labelFiles embed.FS

// loadLabels reads labels/<lang>.json and labels/<lang>.<area>.json for every language; the languages must
// hold the same keys, so a label missing in one language fails New.
func loadLabels() (map[i18n.Lang]map[string]string, error) {
	out := map[i18n.Lang]map[string]string{}
	for _, lang := range i18n.Langs {
		// labels/<lang>.json and one file per area, labels/<lang>.<area>.json.
		files, err := fs.Glob(labelFiles, "labels/"+string(lang)+".*json")
		if err != nil || len(files) == 0 {
			return nil, errorf("labels: no labels/%s.json", lang)
		}
		m := map[string]string{}
		for _, f := range files {
			b, err := labelFiles.ReadFile(f)
			if err != nil {
				return nil, errorf("labels: %w", err)
			}
			part := map[string]string{}
			if err := json.Unmarshal(b, &part); err != nil {
				return nil, errorf("%s: %w", f, err)
			}
			for k, v := range part {
				if _, dup := m[k]; dup {
					return nil, errorf("%s: label %q is defined twice", f, k)
				}
				m[k] = v
			}
		}
		out[lang] = m
	}
	want := slices.Sorted(maps.Keys(out[i18n.ZH]))
	for _, lang := range i18n.Langs[1:] {
		if got := slices.Sorted(maps.Keys(out[lang])); !slices.Equal(got, want) {
			return nil, errorf("labels/%s.json and labels/%s.json hold different keys", lang, i18n.ZH)
		}
	}
	return out, nil
}
