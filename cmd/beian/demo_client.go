package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/refdata"
)

// errUnauthenticated is a 401 answer of the demo's API client.
var errUnauthenticated = errors.New("401 unauthenticated")

// demoClient calls the demo server's JSON API as one account, with the
// bearer token of its login (POST /api/v1/sessions).
type demoClient struct {
	base     string
	http     *http.Client
	login    string
	password string
	token    string
}

// signIn signs in through the API and keeps the bearer token.
func (c *demoClient) signIn(ctx context.Context) error {
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
// decodes a 2xx answer into out; any other answer is an error carrying
// the status and the API's error body.
func (c *demoClient) call(ctx context.Context, method, path string, body, out any, hdr ...string) error {
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
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return err
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("%s %s: %w", method, path, errUnauthenticated)
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, strings.TrimSpace(string(data)))
	case out == nil:
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
	}
	return nil
}

// createAccounts creates the demo's accounts through the identity service,
// each with a random password: the provider's staff, a bureau reviewer per
// demo province, the registry admin and one customer per seeded order.
func (run *demoRun) createAccounts(ctx context.Context) error {
	staff := []demoAccount{
		{Role: beian.RoleProviderAdmin, Login: "admin", Note: "provider admin: resources, /ops"},
		{Role: beian.RoleProviderReviewer, Login: "reviewer", Note: "provider reviewer: /review (初审/复审)"},
		{Role: beian.RoleVerifier, Login: "verifier", Note: "verification point (核验点): photo uploads"},
	}
	for _, p := range demoProvinces {
		staff = append(staff, demoAccount{Role: beian.RoleBureauReviewer, Login: "bureau-" + p.tag, Province: p.code,
			Note: "bureau reviewer of " + provinceName(p.code) + ": /bureau"})
	}
	staff = append(staff, demoAccount{Role: beian.RoleRegistryAdmin, Login: "registry", Note: "registry admin: sandbox, providers"})
	for _, dc := range demoCases {
		staff = append(staff, demoAccount{Role: beian.RoleCustomer, Login: dc.login,
			Note: fmt.Sprintf("customer, %s %s: order in %s", provinceName(dc.province), natureName(dc.nature), dc.stage)})
	}
	for _, a := range staff {
		a.Password = demoPassword()
		p, err := run.main.platform.identity.CreateAccount(ctx, identity.NewAccount{Login: a.Login, Password: a.Password, Role: a.Role,
			Province: a.Province, Name: a.Login}, "demo")
		if err != nil {
			return fmt.Errorf("%s %s: %w", a.Role, a.Login, err)
		}
		a.id = p.AccountID
		run.Accounts = append(run.Accounts, a)
	}
	return nil
}

// account returns the demo account of the login.
func (run *demoRun) account(login string) demoAccount {
	for _, a := range run.Accounts {
		if a.Login == login {
			return a
		}
	}
	return demoAccount{}
}

// client returns a signed-in API client of the login.
func (run *demoRun) client(ctx context.Context, login string) (*demoClient, error) {
	a := run.account(login)
	c := &demoClient{base: run.URL, http: &http.Client{Timeout: 60 * time.Second}, login: a.Login, password: a.Password}
	return c, c.signIn(ctx)
}

// provinceName is the short zh-CN name of a GB/T 2260 province code.
func provinceName(code string) string {
	if p, ok := refdata.Default().Province(code); ok {
		return p.Name
	}
	return code
}

// natureName is the zh-CN name of the subject nature.
func natureName(n string) string {
	if n == "individual" {
		return "个人"
	}
	return "企业"
}

// demoOrderPath is the path of the order's route with the suffix.
func demoOrderPath(id int64, suffix string) string {
	return "/api/v1/orders/" + strconv.FormatInt(id, 10) + suffix
}
