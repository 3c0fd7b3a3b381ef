package beian

// OrderType is the kind of filing an order asks for (Rule TYPE-1; wire values of API.md).
type OrderType string

// The order types of API.md.
const (
	FirstFiling   OrderType = "first_filing"   // 首次备案: new subject + first website
	NewWebsite    OrderType = "new_website"    // 新增网站: subject already filed here
	TransferIn    OrderType = "transfer_in"    // 接入备案: filed with another provider (OTH-1)
	ChangeSubject OrderType = "change_subject" // 变更主体
	ChangeWebsite OrderType = "change_website" // 变更网站
	ChangeAccess  OrderType = "change_access"  // 变更接入, e.g. a new server IP (OTH-3)
	CancelSubject OrderType = "cancel_subject" // 注销主体 (CAN-4)
	CancelWebsite OrderType = "cancel_website" // 注销网站 (CAN-4)
	CancelAccess  OrderType = "cancel_access"  // 取消接入 (CAN-5)
)

// OrderTypes lists every order type in the order of API.md.
var OrderTypes = []OrderType{
	FirstFiling, NewWebsite, TransferIn, ChangeSubject, ChangeWebsite, ChangeAccess,
	CancelSubject, CancelWebsite, CancelAccess,
}

// Stage is where an order stands (Rule REV-8; wire values of API.md).
type Stage string

// The order stages of API.md.
const (
	StageDraft               Stage = "draft"
	StageInitialReview       Stage = "initial_review"
	StageNeedsFix            Stage = "needs_fix"
	StageSupplementRequested Stage = "supplement_requested"
	StageVerification        Stage = "verification"
	StagePhotoReview         Stage = "photo_review"
	StageSMSConfirmation     Stage = "sms_confirmation"
	StageBureauReview        Stage = "bureau_review"
	StageReturned            Stage = "returned"
	StageBureauRejected      Stage = "bureau_rejected"
	StageApproved            Stage = "approved"
	StageAbandoned           Stage = "abandoned"
)

// Stages lists every stage in the order of API.md.
var Stages = []Stage{
	StageDraft, StageInitialReview, StageNeedsFix, StageSupplementRequested, StageVerification,
	StagePhotoReview, StageSMSConfirmation, StageBureauReview, StageReturned,
	StageBureauRejected, StageApproved, StageAbandoned,
}

// ReviewAction says what a rejection item asks the customer to change (Rule REV-3).
type ReviewAction string

// The review actions of REV-3.
const (
	ActionFixSubject   ReviewAction = "fix_subject"   // 修改主体
	ActionFixWebsite   ReviewAction = "fix_website"   // 修改网站
	ActionFixMaterials ReviewAction = "fix_materials" // 修改资料
)

// ReviewItem is one item of a rejection (Rules REV-3, REV-5): the field
// path it concerns, the reason (修改原因), the suggestion (修改建议), the
// action, and — for bureau rejections — whether it concerns the photo (REV-6).
type ReviewItem struct {
	Field      string       `json:"field"`
	Reason     string       `json:"reason"`
	Suggestion string       `json:"suggestion,omitempty"`
	Action     ReviewAction `json:"action"`
	Photo      bool         `json:"photo,omitempty"`
}

// GateReason is why the gate serves or blocks a host (Rule GATE-1; API.md).
type GateReason string

// The gate reasons of API.md.
const (
	GateServed          GateReason = "served"
	GateUnfiled         GateReason = "unfiled"          // 未备案
	GatePending         GateReason = "pending"          // 待备案
	GateAccessCancelled GateReason = "access_cancelled" // 已取消接入
	GateCancelled       GateReason = "cancelled"        // 已注销
	GateLapsed          GateReason = "lapsed"           // 接入已失效
)
