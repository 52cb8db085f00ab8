#!/bin/sh
# packaging/unit-for-systemd.sh: the unit for systemd 219 (CentOS/ClearOS 7)
# holds only settings and values that systemd 219 knows (from its
# systemd.exec, systemd.service and systemd.unit manuals); for a current
# systemd it is the unit unchanged.
set -eu
cd "$(dirname "$0")/../.."
known219=" Description Documentation After Type NotifyAccess ExecStart ExecReload
	ExecStartPre Restart RestartSec StandardOutput StandardError CapabilityBoundingSet
	NoNewPrivileges ProtectSystem ProtectHome PrivateTmp PrivateDevices RuntimeDirectory
	RuntimeDirectoryMode ReadWriteDirectories UMask RestrictAddressFamilies
	SystemCallArchitectures SystemCallErrorNumber WantedBy "
fail=0
out=$(packaging/unit-for-systemd.sh 219 <etc/nflogd.service)
for key in $(printf '%s\n' "$out" | sed -n 's/^\([A-Za-z]*\)=.*/\1/p'); do
	case $(printf ' %s ' $known219) in
	*" $key "*) ;;
	*) echo "unit-systemd: systemd 219 does not know $key="; fail=1 ;;
	esac
done
printf '%s\n' "$out" | grep -q '^ProtectSystem=full$' ||
	{ echo "unit-systemd: 219 needs ProtectSystem=full (strict is 232)"; fail=1; }
printf '%s\n' "$out" | grep -q '^CapabilityBoundingSet=.*CAP_SYS_MODULE' ||
	{ echo "unit-systemd: 219 needs CAP_SYS_MODULE (hash set backend)"; fail=1; }
packaging/unit-for-systemd.sh 257 <etc/nflogd.service | cmp -s - etc/nflogd.service ||
	{ echo "unit-systemd: a current systemd gets the unit changed"; fail=1; }
[ "$fail" -eq 0 ] && echo "unit-systemd: ok (219: $(printf '%s\n' "$out" | grep -c '^[A-Za-z]*=') settings, all known)"
exit "$fail"
