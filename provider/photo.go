package provider

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	_ "image/jpeg" // Rule VER-1: JPEG photos
	_ "image/png"  // Rule VER-1: PNG photos
	"io"
	"net/http"
	"strconv"

	"github.com/beian/beian"
)

// PhotoLimits are the checks a verification photo passes before review
// (Rule VER-1: format, size, resolution and sharpness). A zero field takes
// its default from DefaultPhotoLimits.
type PhotoLimits struct {
	MaxBytes     int64   // larger uploads are too_large (413)
	MinWidth     int     // pixels, landscape or portrait (the shorter side against the smaller minimum)
	MinHeight    int     //
	MaxPixels    int     // a larger image is refused before it is decoded (decompression bombs)
	MinSharpness float64 // variance of the Laplacian on a grey downscale
}

// DefaultPhotoLimits are the defaults: 5 MiB, at least 600×800 pixels, at
// most 40 megapixels, sharpness at least 40.
var DefaultPhotoLimits = PhotoLimits{MaxBytes: 5 << 20, MinWidth: 600, MinHeight: 800, MaxPixels: 40_000_000, MinSharpness: 40}

// orDefault fills the zero fields from DefaultPhotoLimits.
func (l PhotoLimits) orDefault() PhotoLimits {
	d := DefaultPhotoLimits
	if l.MaxBytes > 0 {
		d.MaxBytes = l.MaxBytes
	}
	if l.MinWidth > 0 {
		d.MinWidth = l.MinWidth
	}
	if l.MinHeight > 0 {
		d.MinHeight = l.MinHeight
	}
	if l.MaxPixels > 0 {
		d.MaxPixels = l.MaxPixels
	}
	if l.MinSharpness > 0 {
		d.MinSharpness = l.MinSharpness
	}
	return d
}

// CheckedPhoto is a photo that passed CheckPhoto.
type CheckedPhoto struct {
	Data          []byte
	Format        string // "jpeg" or "png"
	Width, Height int
	Sharpness     float64
}

func photoProblem(code string, args ...string) error {
	return beian.Problems{beian.NewProblem(code, "VER-1", "photo", args...)}.Err()
}

// readPhoto reads at most the limit from r: a longer body is too_large.
func readPhoto(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return nil, beian.Errorf(beian.KindTooLarge, "photo.too_large", "max", strconv.FormatInt(limit>>10, 10)+" KiB")
	case err != nil:
		return nil, &beian.Error{Kind: beian.KindBadRequest, Code: "request.body_unreadable", Err: err}
	case int64(len(b)) > limit:
		return nil, beian.Errorf(beian.KindTooLarge, "photo.too_large", "max", strconv.FormatInt(limit>>10, 10)+" KiB")
	}
	return b, nil
}

// CheckPhoto checks a verification photo at once, before anyone reviews it
// (Rule VER-1): size (too_large), format (JPEG or PNG), resolution, and
// sharpness — the variance of the Laplacian of a grey downscale; a blurry
// photo is refused with its measured sharpness and the minimum.
func CheckPhoto(data []byte, l PhotoLimits) (CheckedPhoto, error) {
	l = l.orDefault()
	if int64(len(data)) > l.MaxBytes {
		return CheckedPhoto{}, beian.Errorf(beian.KindTooLarge, "photo.too_large", "max", strconv.FormatInt(l.MaxBytes>>10, 10)+" KiB")
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || (format != "jpeg" && format != "png") {
		return CheckedPhoto{}, photoProblem("photo.format")
	}
	short, long := min(cfg.Width, cfg.Height), max(cfg.Width, cfg.Height)
	wantShort, wantLong := min(l.MinWidth, l.MinHeight), max(l.MinWidth, l.MinHeight)
	if short < wantShort || long < wantLong {
		return CheckedPhoto{}, photoProblem("photo.resolution", "width", strconv.Itoa(cfg.Width), "height", strconv.Itoa(cfg.Height),
			"min_width", strconv.Itoa(l.MinWidth), "min_height", strconv.Itoa(l.MinHeight))
	}
	if cfg.Width*cfg.Height > l.MaxPixels {
		return CheckedPhoto{}, photoProblem("photo.resolution_too_high", "max", strconv.Itoa(l.MaxPixels/1_000_000))
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return CheckedPhoto{}, photoProblem("photo.format")
	}
	sharp := Sharpness(img)
	if sharp < l.MinSharpness {
		return CheckedPhoto{}, photoProblem("photo.blurry", "sharpness", strconv.FormatFloat(sharp, 'f', 1, 64),
			"min", strconv.FormatFloat(l.MinSharpness, 'f', 1, 64))
	}
	return CheckedPhoto{Data: data, Format: format, Width: cfg.Width, Height: cfg.Height, Sharpness: sharp}, nil
}

// sharpnessSide is the longer side of the grey downscale Sharpness measures:
// the measure then depends little on the camera's resolution.
const sharpnessSide = 512

// Sharpness returns the variance of the Laplacian (4-neighbour kernel) of
// img in grey, box-downscaled so that its longer side is at most 512
// pixels (Rule VER-1). A blurry or flat image scores near 0; a sharp photo
// of a person before a curtain scores in the hundreds.
func Sharpness(img image.Image) float64 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	step := max(1, (max(w, h)+sharpnessSide-1)/sharpnessSide)
	gw, gh := w/step, h/step
	if gw < 3 || gh < 3 {
		return 0
	}
	grey := greyBoxes(img, b, step, gw, gh)
	// The variance of the Laplacian over the inner pixels, in two passes
	// (a running variance divides at every pixel).
	n := float64((gw - 2) * (gh - 2))
	var sum float64
	for y := 1; y < gh-1; y++ {
		for x := 1; x < gw-1; x++ {
			i := y*gw + x
			sum += grey[i-1] + grey[i+1] + grey[i-gw] + grey[i+gw] - 4*grey[i]
		}
	}
	mean := sum / n
	var m2 float64
	for y := 1; y < gh-1; y++ {
		for x := 1; x < gw-1; x++ {
			i := y*gw + x
			d := grey[i-1] + grey[i+1] + grey[i-gw] + grey[i+gw] - 4*grey[i] - mean
			m2 += d * d
		}
	}
	return m2 / n
}

// greyBoxes returns the gw×gh grey downscale of img (bounds b): each pixel
// the mean of a step×step box of grey values 0–255. A grey PNG is summed
// in integers; other images are read row by row (lumaRow) and summed in
// the order dy, then dx.
func greyBoxes(img image.Image, b image.Rectangle, step, gw, gh int) []float64 {
	grey := make([]float64, gw*gh)
	area := float64(step * step)
	if m, ok := img.(*image.Gray); ok {
		acc := make([]uint32, gw)
		for y := range gh {
			clear(acc)
			for dy := range step {
				pix := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y*step+dy):]
				pix = pix[:gw*step]
				for x := range acc {
					for _, v := range pix[x*step : x*step+step] {
						acc[x] += uint32(v)
					}
				}
			}
			for x, v := range acc {
				grey[y*gw+x] = float64(v) / area
			}
		}
		return grey
	}
	row, acc := make([]float64, gw*step), make([]float64, gw)
	read := lumaRow(img)
	for y := range gh {
		clear(acc)
		for dy := range step {
			read(b.Min.X, b.Min.Y+y*step+dy, row)
			for x := range gw {
				sum := acc[x]
				for _, v := range row[x*step : x*step+step] {
					sum += v
				}
				acc[x] = sum
			}
		}
		for x := range gw {
			grey[y*gw+x] = acc[x] / area
		}
	}
	return grey
}

// lumaRow returns a reader of img's grey values, 0–255: read(x0, y, dst)
// fills dst with the pixels from (x0, y) rightwards, each the 16-bit RGB of
// the pixel as img.At(x, y).RGBA() gives it, weighted 0.299, 0.587, 0.114.
// The decoders' own types are read from their pixel arrays: img.At boxes a
// JPEG's colour in an interface value, one allocation per pixel, and the
// sharpness of one photo reads millions of them. The values are the same
// to the bit (TestLumaRow).
func lumaRow(img image.Image) func(x0, y int, dst []float64) {
	grey := func(r, g, b uint32) float64 {
		return (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(b)) / 257
	}
	switch m := img.(type) {
	case *image.YCbCr:
		return func(x0, y int, dst []float64) {
			for i := range dst {
				yi, ci := m.YOffset(x0+i, y), m.COffset(x0+i, y)
				r, g, b, _ := color.YCbCr{Y: m.Y[yi], Cb: m.Cb[ci], Cr: m.Cr[ci]}.RGBA()
				dst[i] = grey(r, g, b)
			}
		}
	case *image.Gray:
		return func(x0, y int, dst []float64) {
			pix := m.Pix[m.PixOffset(x0, y):]
			for i := range dst {
				v := uint32(pix[i]) * 0x101
				dst[i] = grey(v, v, v)
			}
		}
	case *image.NRGBA:
		return func(x0, y int, dst []float64) {
			pix := m.Pix[m.PixOffset(x0, y):]
			for i := range dst {
				p := pix[4*i : 4*i+4]
				r, g, b, _ := color.NRGBA{R: p[0], G: p[1], B: p[2], A: p[3]}.RGBA()
				dst[i] = grey(r, g, b)
			}
		}
	case *image.RGBA:
		return func(x0, y int, dst []float64) {
			pix := m.Pix[m.PixOffset(x0, y):]
			for i := range dst {
				p := pix[4*i : 4*i+4]
				dst[i] = grey(uint32(p[0])*0x101, uint32(p[1])*0x101, uint32(p[2])*0x101)
			}
		}
	}
	return func(x0, y int, dst []float64) {
		for i := range dst {
			r, g, b, _ := img.At(x0+i, y).RGBA()
			dst[i] = grey(r, g, b)
		}
	}
}
