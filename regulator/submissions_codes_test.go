package regulator

import "testing"

// pipelineFiles are the pipeline's source files.
var pipelineFiles = []string{"submissions*.go", "sms*.go", "bureau*.go", "events*.go", "connector*.go", "passwords*.go"}

// Every code of the pipeline has a message in every language, and every
// registry.* code its source writes is listed by Codes.
func TestPipelineCodesHaveMessages(t *testing.T) { checkAreaCodes(t, PipelineCodes(), pipelineFiles) }
