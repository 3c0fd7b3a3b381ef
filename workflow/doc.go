// Package workflow is the order state machine (Rules REV-3 to REV-8, VER-1 to
// VER-3, CAN-5, CAN-6): which event moves an order of a given type from one
// stage to the next, who may cause it, which fields the customer may edit in
// each stage, and whether a verification photo may be reused after a bureau
// rejection.
//
// The package is pure: no I/O and no clock. Callers load an order, ask Next
// for the stage an event leads to, and store the answer; the table behind
// Next is also what Transitions returns and what docs/order-states.md is
// generated from (Markdown), so the documentation cannot drift from the code.
package workflow
