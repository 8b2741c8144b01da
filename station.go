package mashang

// Station is a place where deputies meet citizens (代表之家 / 代表联络站 /
// 联络点), reached by its own code (一站一码).
type Station struct {
	ID      int64
	Code    string // short ASCII code, unique; goes into the scene "st:<code>"
	Name    string // as citizens read it, e.g. 市南区八大关街道代表联络站
	Address string
}

// Deputy is a people's-congress deputy (人大代表), reached by their own code
// (一人一码) through the station they are grouped into.
type Deputy struct {
	ID          int64
	Code        string // unique; goes into the scene "dp:<code>"
	Name        string
	Level       string // 全国 / 省 / 市 / 区(县) / 镇(街道)
	StationCode string
	StationName string
}
