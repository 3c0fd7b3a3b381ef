package regulator

import "testing"

// deskFiles are the source files of the bureau desk and the password retrieval.
var deskFiles = []string{"password_retrieval*.go", "password_requests*.go", "desk_*.go"}

// Every code of the desk has a message in every language, and every
// registry.* code its source writes is listed by Codes.
func TestDeskCodesHaveMessages(t *testing.T) { checkAreaCodes(t, DeskCodes(), deskFiles) }
