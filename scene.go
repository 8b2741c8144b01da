package mashang

import (
	"strings"
)

// A scene is the string inside a parametric code: "st:<station code>" for a
// station (一站一码) or "dp:<deputy code>" for a deputy (一人一码). It must
// fit both WeChat's limits: 64 characters for an Official Account code and 32
// visible characters for a Mini Program code.
const (
	ScenePrefixStation = "st:"
	ScenePrefixDeputy  = "dp:"
	// ScenePrefixBind is a one-time code a deputy scans to bind their WeChat.
	ScenePrefixBind = "bind:"
	// ScenePrefixStaffBind is a one-time code a staff member scans so that
	// supervision notices reach their WeChat.
	ScenePrefixStaffBind = "sb:"
	// ScenePrefixActivity is an activity's check-in code (结单).
	ScenePrefixActivity = "ac:"
	// ScenePrefixDesk is a pop-up desk's temporary code (流动办公桌).
	ScenePrefixDesk = "pd:"
	MaxSceneLength  = 32
)

// SceneKind says what a scene names.
type SceneKind int

const (
	SceneUnknown SceneKind = iota
	SceneStation
	SceneDeputy
	SceneBind
	SceneStaffBind
	SceneActivity
	SceneDesk
)

// Scene is a parsed scene string.
type Scene struct {
	Kind SceneKind
	Code string // the station's or deputy's code
}

// ParseScene reads a scene string; anything else is SceneUnknown.
func ParseScene(s string) Scene {
	if len(s) > MaxSceneLength {
		return Scene{}
	}
	for prefix, kind := range map[string]SceneKind{ScenePrefixStation: SceneStation, ScenePrefixDeputy: SceneDeputy, ScenePrefixBind: SceneBind, ScenePrefixStaffBind: SceneStaffBind, ScenePrefixActivity: SceneActivity, ScenePrefixDesk: SceneDesk} {
		if code, ok := strings.CutPrefix(s, prefix); ok && ValidCode(code) {
			return Scene{Kind: kind, Code: code}
		}
	}
	return Scene{}
}

// String renders the scene back.
func (s Scene) String() string {
	switch s.Kind {
	case SceneStation:
		return ScenePrefixStation + s.Code
	case SceneDeputy:
		return ScenePrefixDeputy + s.Code
	case SceneBind:
		return ScenePrefixBind + s.Code
	case SceneStaffBind:
		return ScenePrefixStaffBind + s.Code
	case SceneActivity:
		return ScenePrefixActivity + s.Code
	case SceneDesk:
		return ScenePrefixDesk + s.Code
	}
	return ""
}

// ValidCode reports whether code can name a station or deputy inside a scene:
// 1–29 characters of letters, digits, '-' and '_' (the Mini Program's scene
// alphabet allows more, but these survive every URL and file name).
func ValidCode(code string) bool {
	if code == "" || len(code) > MaxSceneLength-len(ScenePrefixStation) {
		return false
	}
	for _, r := range code {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
		default:
			return false
		}
	}
	return true
}
