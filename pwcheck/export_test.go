package pwcheck

// HelperPID is the running helper's process id (0: none runs).
func HelperPID(c *Checker) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.helper == nil || c.helper.ended() {
		return 0
	}
	return c.helper.cmd.Process.Pid
}
