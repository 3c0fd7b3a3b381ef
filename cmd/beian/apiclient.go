package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/beian/beian/sandbox"
)

// errUnauthenticated is a 401 answer of the API client.
var errUnauthenticated = errors.New("401 unauthenticated")

// apiError is a non-2xx answer of the API: its status and error body.
type apiError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *apiError) Error() string {
	if e.Status == http.StatusUnauthorized {
		return fmt.Sprintf("%s %s: %v", e.Method, e.Path, errUnauthenticated)
	}
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Body)
}

// Unwrap makes a 401 answer errors.Is errUnauthenticated.
func (e *apiError) Unwrap() error {
	if e.Status == http.StatusUnauthorized {
		return errUnauthenticated
	}
	return nil
}

// apiStatus is the HTTP status of an apiError (0 for any other error).
func apiStatus(err error) int {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// apiClient calls the server's JSON API as one account, with the bearer
// token of its login (POST /api/v1/sessions), or anonymously. `beian demo`
// and `beian bench api` drive the server through it.
type apiClient struct {
	base     string
	http     *http.Client
	login    string
	password string
	token    string
	// observe, when set, is told of every request: its method and path,
	// the answer's status (0 when none came) and how long the exchange
	// took, the answer's body read.
	observe func(method, path string, status int, took time.Duration)
}

// clientFrom is an HTTP client whose connections leave from the loopback
// address ip (127.x.y.z): each simulated user has its own client address,
// as the server's per-client limits expect (API.md, rate limits).
func clientFrom(ip net.IP, timeout time.Duration) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{Timeout: timeout, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4,
		IdleConnTimeout: 90 * time.Second}}
}

// signIn signs in through the API and keeps the bearer token.
func (c *apiClient) signIn(ctx context.Context) error {
	var out struct {
		Token string `json:"token"`
	}
	c.token = ""
	if err := c.call(ctx, "POST", "/api/v1/sessions", map[string]string{"login": c.login, "password": c.password}, &out); err != nil {
		return fmt.Errorf("sign in as %s: %w", c.login, err)
	}
	c.token = out.Token
	return nil
}

// call sends a JSON request (body nil: none; []byte: a PNG photo) and
// decodes a 2xx answer into out; any other answer is an *apiError carrying
// the status and the API's error body. hdr holds name/value pairs.
func (c *apiClient) call(ctx context.Context, method, path string, body, out any, hdr ...string) error {
	var rd io.Reader
	ctype := "application/json"
	switch b := body.(type) {
	case nil:
	case []byte:
		rd, ctype = bytes.NewReader(b), "image/png"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	if rd != nil {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept-Language", "en")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	start := time.Now()
	status, data, err := c.exchange(req)
	if c.observe != nil {
		c.observe(method, path, status, time.Since(start))
	}
	switch {
	case err != nil:
		return err
	case status/100 != 2:
		return &apiError{Method: method, Path: path, Status: status, Body: strings.TrimSpace(string(data))}
	case out == nil:
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
	}
	return nil
}

// exchange sends req and reads the answer's body (up to 4 MiB).
func (c *apiClient) exchange(req *http.Request) (int, []byte, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	return resp.StatusCode, data, err
}

// setBureauPolicy sets the sandbox bureaus' policy (API.md, regulator.PolicyAuto
// or PolicyManual; nothing rejected) as the registry admin and returns the
// sandbox clock's time.
func (c *apiClient) setBureauPolicy(ctx context.Context, mode string) (time.Time, error) {
	if err := c.call(ctx, "PUT", sandbox.Prefix+"bureau-policy", map[string]any{"mode": mode, "reject_share": 0}, nil); err != nil {
		return time.Time{}, err
	}
	var clock struct {
		Now time.Time `json:"now"`
	}
	err := c.call(ctx, "GET", sandbox.Prefix+"clock", nil, &clock)
	return clock.Now, err
}
