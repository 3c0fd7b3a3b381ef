// Package validate holds the rule checks that need no database: certificates
// and contacts (SUBJ-2, SUBJ-3), domains, homepages, website names and
// remarks (WEB-1 to WEB-4), commercial filings (TYPE-2) and filing numbers
// (NUM-1). Checks are pure functions; each returns every problem it finds as
// beian.Problems with message codes, never rendered text, so that the API and
// the console share them and the edge renders zh-CN or en.
//
// A problem's Field is relative to the value checked ("" for the value
// itself); callers place it with beian.Problems.Extend.
package validate
