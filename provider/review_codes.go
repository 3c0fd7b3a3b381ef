package provider

// ReviewCodes returns the message codes the review, verification and
// registry-result work can answer, with their rule IDs; the catalogues
// i18n/messages/*/provider_review.json hold each of them (the store's own
// review.* and verification.* codes are providerdb.Codes).
func ReviewCodes() map[string]string {
	return map[string]string{
		"review.claimed":                "REV-1",
		"review.claim_required":         "REV-1",
		"review.not_reviewable":         "REV-8",
		"review.stage_unknown":          "REV-8",
		"review.field_unknown":          "REV-3",
		"review.supplement_empty":       "SUBJ-2",
		"review.note_too_long":          "SUBJ-2",
		"review.website_elsewhere":      "OTH-1",
		"photo.too_large":               "VER-1",
		"photo.format":                  "VER-1",
		"photo.resolution":              "VER-1",
		"photo.resolution_too_high":     "VER-1",
		"photo.blurry":                  "VER-1",
		"verification.photo_required":   "VER-1",
		"verification.not_in_stage":     "REV-8",
		"verification.address_required": "VER-1",
		"verification.app_not_offered":  "VER-2",
		"verification.app_not_eligible": "VER-2",
		"verification.code_required":    "VER-2",
		"verification.app_unavailable":  "VER-2",
	}
}
