package mashang

// SecurityVerdict is WeChat's content security verdict (msgSecCheck, or the
// asynchronous media check) on what a citizen sent.
type SecurityVerdict struct {
	Suggest string // "pass", "review" or "risky"
	Label   int    // WeChat's label: 100 normal, 20001 时政, …
	TraceID string
}

// Held tells whether the content waits for staff rather than going on.
func (v SecurityVerdict) Held() bool { return v.Suggest != "pass" }

// securityLabels names WeChat's content security labels.
var securityLabels = map[int]string{
	100: "正常", 10001: "广告", 20001: "时政", 20002: "色情", 20003: "辱骂", 20006: "违法犯罪",
	20008: "欺诈", 20012: "低俗", 20013: "版权", 21000: "其他",
}

// LabelName is the Chinese name of the verdict's label.
func (v SecurityVerdict) LabelName() string {
	if name, ok := securityLabels[v.Label]; ok {
		return name
	}
	return "其他"
}

// MediaCheckResult is WeChat's push with the verdict on a media check.
type MediaCheckResult struct {
	TraceID string
	AppID   string
	Verdict SecurityVerdict
	ErrCode int // not 0: WeChat could not check the file
}
