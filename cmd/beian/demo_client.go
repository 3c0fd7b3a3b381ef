package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/beian/beian"
	"github.com/beian/beian/identity"
	"github.com/beian/beian/refdata"
)

// demoClient calls the demo server's JSON API as one account, with the
// bearer token of its login (POST /api/v1/sessions).
type demoClient = apiClient

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
