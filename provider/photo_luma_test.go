package provider

import (
	"image"
	"image/color"
	"math"
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
		for _, m := range []image.Image{img, opaque{img}} {
			if a, b := Sharpness(m), sharpnessReference(m); math.Abs(a-b) > 1e-9*b {
				t.Fatalf("%T: sharpness %v, the reference %v", m, a, b)
			}
		}
	}
}

// sharpnessReference is the plain definition Sharpness computes faster:
// each pixel through img.At, a running (Welford) variance.
func sharpnessReference(img image.Image) float64 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	step := max(1, (max(w, h)+sharpnessSide-1)/sharpnessSide)
	gw, gh := w/step, h/step
	if gw < 3 || gh < 3 {
		return 0
	}
	grey := make([]float64, gw*gh)
	for y := range gh {
		for x := range gw {
			var sum float64
			for dy := range step {
				for dx := range step {
					r, g, bl, _ := img.At(b.Min.X+x*step+dx, b.Min.Y+y*step+dy).RGBA()
					sum += (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
				}
			}
			grey[y*gw+x] = sum / float64(step*step)
		}
	}
	var n, mean, m2 float64
	for y := 1; y < gh-1; y++ {
		for x := 1; x < gw-1; x++ {
			i := y*gw + x
			lap := grey[i-1] + grey[i+1] + grey[i-gw] + grey[i+gw] - 4*grey[i]
			n++
			d := lap - mean
			mean += d / n
			m2 += d * (lap - mean)
		}
	}
	return m2 / n
}

// Sharpness agrees with its definition on large images too (a box of
// 2×2 and 3×3 source pixels per grey pixel), sharp and smooth.
func TestSharpnessReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, size := range []image.Rectangle{image.Rect(0, 0, 600, 800), image.Rect(10, 20, 1210, 1620)} {
		noise, smooth := image.NewGray(size), image.NewGray(size)
		for i := range noise.Pix {
			noise.Pix[i] = byte(r.IntN(256))
		}
		for y := size.Min.Y; y < size.Max.Y; y++ {
			for x := size.Min.X; x < size.Max.X; x++ {
				smooth.SetGray(x, y, color.Gray{Y: byte((x + y) / 16)})
			}
		}
		for _, m := range []image.Image{noise, smooth} {
			if a, b := Sharpness(m), sharpnessReference(m); math.Abs(a-b) > 1e-9*max(b, 1e-9) {
				t.Errorf("%v: sharpness %v, the reference %v", size, a, b)
			}
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
