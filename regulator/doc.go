// Package regulator is the regulator's bounded context: the MIIT registry
// (工信部备案系统) that holds subject and website numbers, domains, the
// providers serving each website, the domain registration data of the five
// domain checks, the blacklist and the public query; the provincial bureaus
// arrive later. It owns the registry_* tables and never reads the provider's
// (PRODUCT.md, "Shape"); the provider reaches it only through the connector,
// whose Precheck and Filing answers this package builds.
//
// Every write runs in one transaction with its audit record in the registry
// chain (package audit). Methods that another component composes into its own
// transaction come in two forms: XxxTx(ctx, tx, …) runs in the caller's
// transaction, Xxx(ctx, …) opens and commits one of its own.
package regulator
