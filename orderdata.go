package beian

// OrderData is the form of an order as the customer fills it: the order's
// Data document. Its JSON field names are the field paths of review items
// and of the error shape (Rule REV-3): "subject.name",
// "websites[0].homepage", "websites[0].person.mobile".
//
// Which parts an order type uses (Rule TYPE-1):
//   - first_filing: Subject and 1 to MaxWebsites Websites (Rule WEB-0);
//   - new_website: Subject (its filed number in Subject.Number) and the new Websites;
//   - transfer_in: Transfer (the filed subject or website number) and Password,
//     with Subject and Websites as this provider will serve them (Rule OTH-1);
//   - change_subject / change_website / change_access: the filed Subject and
//     Websites as they should become (Rules OTH-2, OTH-3); the provider
//     computes the changed field paths;
//   - cancel_subject: Subject.Number and Password (Rule PWD-2);
//   - cancel_website: Cancel (website numbers, Rule CAN-4);
//   - cancel_access: Cancel (one website number) and Confirm (Rule CAN-6).
type OrderData struct {
	Subject  SubjectForm   `json:"subject"`
	Websites []WebsiteForm `json:"websites"`
	// Transfer is the number of the filing a transfer-in moves here.
	Transfer string `json:"transfer,omitempty"`
	// Password is the subject's filing password (Rule PWD-2). It is
	// personal data: the provider keeps it only until submission and never
	// returns it in an answer.
	Password string `json:"password,omitempty"`
	// Cancel lists the website numbers a cancel_website or cancel_access
	// order removes.
	Cancel []string `json:"cancel,omitempty"`
	// Confirm is the customer's explicit confirmation of an irreversible
	// cancellation (Rule CAN-6).
	Confirm bool `json:"confirm,omitempty"`
}

// SubjectForm is the subject (主体) part of an order: the registry's
// SubjectData and, once filed, its number.
type SubjectForm struct {
	SubjectData
	Number string `json:"number,omitempty"` // the subject number once filed
}

// WebsiteForm is one website of an order: the registry's WebsiteData and
// the cloud resources of this provider it uses (Rules ACC-2, ACC-3, WEB-0).
type WebsiteForm struct {
	WebsiteData
	Resources []ResourceRef `json:"resources"`
}

// ResourceRef names the cloud resource a website uses: one of the
// account's own resources by ID, or another account's by an authorization
// code (Rule ACC-3).
type ResourceRef struct {
	ResourceID int64  `json:"resource_id,omitempty"`
	AuthCode   string `json:"auth_code,omitempty"`
}
