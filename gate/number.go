package gate

import (
	"encoding/binary"
	"strings"
	"unicode/utf8"
)

// Website numbers are kept in the index arena, shared by the domains of a
// website where a snapshot delivers them one after the other, so that
// /api/v1/gate/check can name the filing (Rule GATE-1). Almost every number
// has the shape 京ICP备2026001234号-3 (Rule NUM-1); that shape is stored in
// 7 or 9 bytes instead of 25, which keeps the index under its budget of 40
// bytes per domain. Anything else is stored as it is.
//
// Encoding, first byte:
//
//	0          no number (pending websites)
//	1..len(abbrs) compact: the province abbreviation's index + 1, then one
//	           flags byte (low 4 bits: serial digits; 0x10 ICP证; 0x20 has a
//	           website suffix), 5 bytes of serial (little endian) and, with
//	           0x20, 2 bytes of website suffix
//	0xFF       raw: one length byte, then the bytes (at most 255)
//	0xFE       never: it tags the index's tail entries (index.go)
const (
	numNone = 0
	numRaw  = 0xFF

	flagLicence = 0x10
	flagSite    = 0x20
)

// abbrs are the provinces' filing-number abbreviations (Rule NUM-1), with
// the alternative forms 川 贵 云 so that any stored number round-trips.
var abbrs = []string{"京", "津", "冀", "晋", "蒙", "辽", "吉", "黑", "沪", "苏", "浙", "皖", "闽", "赣", "鲁", "豫",
	"鄂", "湘", "粤", "桂", "琼", "渝", "蜀", "黔", "滇", "藏", "陕", "甘", "青", "宁", "新", "川", "贵", "云"}

// appendNumber appends the encoding of a website number.
func appendNumber(dst []byte, num string) []byte {
	if num == "" {
		return append(dst, numNone)
	}
	if enc, ok := appendCompact(dst, num); ok {
		return enc
	}
	if len(num) > 255 {
		// Filing numbers are about 25 bytes; a longer value is not a
		// number, and a cut one would misname the filing: keep none.
		return append(dst, numNone)
	}
	dst = append(dst, numRaw, byte(len(num)))
	return append(dst, num...)
}

// appendCompact appends the encoding of the usual shape, and reports false
// (and dst unchanged) for others. It checks the round trip so that
// decoding always gives num back. It does not allocate when dst has room:
// a snapshot encodes ten million numbers.
func appendCompact(dst []byte, num string) ([]byte, bool) {
	r, size := utf8.DecodeRuneInString(num)
	if r == utf8.RuneError {
		return dst, false
	}
	idx := -1
	for i, a := range abbrs {
		if a == num[:size] {
			idx = i
			break
		}
	}
	rest := num[size:]
	if idx < 0 || !strings.HasPrefix(rest, "ICP") {
		return dst, false
	}
	rest = rest[3:]
	var flags byte
	switch {
	case strings.HasPrefix(rest, "备"):
	case strings.HasPrefix(rest, "证"):
		flags |= flagLicence
	default:
		return dst, false
	}
	rest = rest[len("备"):]
	digits := 0
	var serial uint64
	for digits < len(rest) && rest[digits] >= '0' && rest[digits] <= '9' {
		serial = serial*10 + uint64(rest[digits]-'0')
		digits++
	}
	if digits == 0 || digits > 12 || !strings.HasPrefix(rest[digits:], "号") {
		return dst, false
	}
	flags |= byte(digits)
	rest = rest[digits+len("号"):]
	start := len(dst)
	out := append(dst, byte(idx+1), 0)
	out = binary.LittleEndian.AppendUint32(out, uint32(serial))
	out = append(out, byte(serial>>32))
	if rest != "" {
		if len(rest) < 2 || rest[0] != '-' || rest[1] == '0' || len(rest) > 6 {
			return dst, false
		}
		var site uint32
		for i := 1; i < len(rest); i++ {
			if rest[i] < '0' || rest[i] > '9' {
				return dst, false
			}
			site = site*10 + uint32(rest[i]-'0')
		}
		if site > 0xFFFF {
			return dst, false
		}
		flags |= flagSite
		out = binary.LittleEndian.AppendUint16(out, uint16(site))
	}
	out[start+1] = flags
	var buf [64]byte
	if dec, _ := appendDecoded(buf[:0], out[start:]); string(dec) != num {
		return dst[:start], false
	}
	return out, true
}

// numberSize is the length of the encoded number at the start of b.
func numberSize(b []byte) int {
	switch {
	case b[0] == numNone:
		return 1
	case b[0] == numRaw:
		return 2 + int(b[1])
	case b[1]&flagSite != 0:
		return 9
	}
	return 7
}

// decodeNumber returns the number encoded at the start of b and its size.
func decodeNumber(b []byte) (string, int) {
	var buf [64]byte
	d, n := appendDecoded(buf[:0], b)
	return string(d), n
}

// appendDecoded appends the number encoded at the start of b and returns
// the encoding's size.
func appendDecoded(dst, b []byte) ([]byte, int) {
	switch {
	case b[0] == numNone:
		return dst, 1
	case b[0] == numRaw:
		return append(dst, b[2:2+int(b[1])]...), 2 + int(b[1])
	}
	flags := b[1]
	serial := uint64(binary.LittleEndian.Uint32(b[2:6])) | uint64(b[6])<<32
	dst = append(dst, abbrs[int(b[0])-1]...)
	dst = append(dst, "ICP"...)
	if flags&flagLicence != 0 {
		dst = append(dst, "证"...)
	} else {
		dst = append(dst, "备"...)
	}
	var digits [12]byte
	n := int(flags & 0x0F)
	for i := n - 1; i >= 0; i-- {
		digits[i] = byte('0' + serial%10)
		serial /= 10
	}
	dst = append(dst, digits[:n]...)
	dst = append(dst, "号"...)
	if flags&flagSite == 0 {
		return dst, 7
	}
	site := binary.LittleEndian.Uint16(b[7:9])
	dst = append(dst, '-')
	var sd [5]byte
	i := len(sd)
	for {
		i--
		sd[i] = byte('0' + site%10)
		site /= 10
		if site == 0 {
			break
		}
	}
	return append(dst, sd[i:]...), 9
}

// encodedNumber is the encoded number at the start of b, or false when it
// runs past b (a reader's torn read).
func encodedNumber(b []byte) ([]byte, bool) {
	switch {
	case len(b) == 0:
		return nil, false
	case b[0] == numNone:
		return b[:1], true
	case len(b) < 2:
		return nil, false
	}
	if n := numberSize(b); n <= len(b) {
		return b[:n], true
	}
	return nil, false
}
