package page

// localPath reports whether s is a path on this site, safe to redirect to
// or link: it starts with "/" but not "//" or "/\" (which browsers treat
// as another host), and holds no backslash or control character.
func localPath(s string) bool {
	if len(s) == 0 || s[0] != '/' {
		return false
	}
	if len(s) > 1 && (s[1] == '/' || s[1] == '\\') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c == '\\' {
			return false
		}
	}
	return true
}
