package validate

// Problem codes of the certificate and contact checks (Rules SUBJ-2, SUBJ-3).
// None of them carries any part of the checked value in its Args: a
// certificate number, a phone number and an address are personal data. The
// only Arg used is "type" (a certificate type's wire code).
const (
	idCodeCertRequired     = "subj.cert_required"
	idCodeCertTypeUnknown  = "subj.cert_type_unknown"
	idCodeCertFormat       = "subj.cert_format" // Args: type
	idCodeRIDLength        = "subj.resident_id_length"
	idCodeRIDChars         = "subj.resident_id_chars"
	idCodeRIDRegion        = "subj.resident_id_region"
	idCodeRIDBirthInvalid  = "subj.resident_id_birth_invalid"
	idCodeRIDBirthFuture   = "subj.resident_id_birth_future"
	idCodeRIDChecksum      = "subj.resident_id_checksum"
	idCodeUSCCLength       = "subj.uscc_length"
	idCodeUSCCChars        = "subj.uscc_chars"
	idCodeUSCCRegion       = "subj.uscc_region"
	idCodeUSCCChecksum     = "subj.uscc_checksum"
	idCodeUSCCOrgChecksum  = "subj.uscc_org_code_checksum"
	idCodeOrgFormat        = "subj.org_code_format"
	idCodeOrgChecksum      = "subj.org_code_checksum"
	idCodeForeignChecksum  = "subj.foreign_pr_id_checksum"
	idCodeMobileRequired   = "subj.mobile_required"
	idCodeMobileInvalid    = "subj.mobile_invalid"
	idCodeLandlineRequired = "subj.landline_required"
	idCodeLandlineInvalid  = "subj.landline_invalid"
	idCodeEmailRequired    = "subj.email_required"
	idCodeEmailInvalid     = "subj.email_invalid"
	idCodeEmailTooLong     = "subj.email_too_long"
	idCodeMinor            = "subj.minor"
)

// The rule IDs of RULES.md these checks implement.
const (
	idRuleMinor = "SUBJ-2"
	idRuleCert  = "SUBJ-3"
)

// identityCodes maps every problem code of the certificate and contact checks
// to its rule. subj.minor is never returned by a check here: callers add it
// (with IsMinor) to flag an order for the reviewer; it is not an error.
var identityCodes = map[string]string{
	idCodeCertRequired:     idRuleCert,
	idCodeCertTypeUnknown:  idRuleCert,
	idCodeCertFormat:       idRuleCert,
	idCodeRIDLength:        idRuleCert,
	idCodeRIDChars:         idRuleCert,
	idCodeRIDRegion:        idRuleCert,
	idCodeRIDBirthInvalid:  idRuleCert,
	idCodeRIDBirthFuture:   idRuleCert,
	idCodeRIDChecksum:      idRuleCert,
	idCodeUSCCLength:       idRuleCert,
	idCodeUSCCChars:        idRuleCert,
	idCodeUSCCRegion:       idRuleCert,
	idCodeUSCCChecksum:     idRuleCert,
	idCodeUSCCOrgChecksum:  idRuleCert,
	idCodeOrgFormat:        idRuleCert,
	idCodeOrgChecksum:      idRuleCert,
	idCodeForeignChecksum:  idRuleCert,
	idCodeMobileRequired:   idRuleCert,
	idCodeMobileInvalid:    idRuleCert,
	idCodeLandlineRequired: idRuleCert,
	idCodeLandlineInvalid:  idRuleCert,
	idCodeEmailRequired:    idRuleCert,
	idCodeEmailInvalid:     idRuleCert,
	idCodeEmailTooLong:     idRuleCert,
	idCodeMinor:            idRuleMinor,
}
