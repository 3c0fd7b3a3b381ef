package provider

import (
	"image"
	"math/rand/v2"
	"testing"
)

// opaque hides an image's concrete type, so that lumaOf takes its generic path.
type opaque struct{ image.Image }

// lumaRow reads the decoders' pixel arrays and gives, to the bit, what the
// generic img.At path gives, for every image type a JPEG or PNG decodes to
// that it reads directly, on rectangles that do not start at 0 and with
// chroma subsampling; Sharpness is therefore unchanged.
func TestLumaRow(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	rect := image.Rect(3, 5, 70, 61)
	fill := func(b []byte) {
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
	}
	var imgs []image.Image
	for _, ratio := range []image.YCbCrSubsampleRatio{image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420} {
		m := image.NewYCbCr(rect, ratio)
		fill(m.Y)
		fill(m.Cb)
		fill(m.Cr)
		imgs = append(imgs, m)
	}
	g := image.NewGray(rect)
	fill(g.Pix)
	n := image.NewNRGBA(rect)
	fill(n.Pix)
	rgba := image.NewRGBA(rect)
	for i := range rgba.Pix { // premultiplied: colour ≤ alpha
		if i%4 == 3 {
			rgba.Pix[i] = 255
		} else {
			rgba.Pix[i] = byte(r.IntN(256))
		}
	}
	imgs = append(imgs, g, n, rgba)
	for _, img := range imgs {
		fast, slow := make([]float64, rect.Dx()), make([]float64, rect.Dx())
		for y := rect.Min.Y; y < rect.Max.Y; y++ {
			lumaRow(img)(rect.Min.X, y, fast)
			lumaRow(opaque{img})(rect.Min.X, y, slow)
			for i := range fast {
				if fast[i] != slow[i] {
					t.Fatalf("%T at (%d,%d): %v, generic %v", img, rect.Min.X+i, y, fast[i], slow[i])
				}
			}
		}
		if a, b := Sharpness(img), Sharpness(opaque{img}); a != b {
			t.Fatalf("%T: sharpness %v, generic %v", img, a, b)
		}
	}
}

// BenchmarkSharpness measures the check of a 1200×1600 camera photo.
func BenchmarkSharpness(b *testing.B) {
	m := image.NewYCbCr(image.Rect(0, 0, 1200, 1600), image.YCbCrSubsampleRatio420)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range m.Y {
		m.Y[i] = byte(r.IntN(256))
	}
	b.ReportAllocs()
	for b.Loop() {
		Sharpness(m)
	}
}

// BenchmarkSharpnessGrey measures the check of a 600×800 grey PNG (the demo's photo).
func BenchmarkSharpnessGrey(b *testing.B) {
	m := image.NewGray(image.Rect(0, 0, 600, 800))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range m.Pix {
		m.Pix[i] = byte(r.IntN(256))
	}
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			Sharpness(m)
		}
	})
	b.Run("generic", func(b *testing.B) {
		for b.Loop() {
			Sharpness(opaque{m})
		}
	})
}
