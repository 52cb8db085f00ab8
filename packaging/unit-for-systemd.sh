#!/bin/sh
# The unit etc/nflogd.service for an older systemd: settings it does not
# know are left out (it would log "Unknown lvalue" for each), and the ones
# it names otherwise are renamed. Usage:
#   packaging/unit-for-systemd.sh VERSION <etc/nflogd.service >nflogd.service
# e.g. 219 (CentOS/ClearOS 7), 239 (EL8), 252 (Debian 12): the systemd
# release each setting first appeared in is in the table below.
set -eu
v=$1
case $v in '' | *[!0-9]*) echo "usage: $0 SYSTEMD_VERSION <unit" >&2; exit 2 ;; esac

# setting:first systemd release that knows it
script=""
add() { script="$script
$1"; }
for s in MemoryDenyWriteExecute:231 RestrictRealtime:231 ProtectKernelTunables:232 \
	ProtectKernelModules:232 ProtectControlGroups:232 RestrictNamespaces:233 \
	StateDirectory:235 StateDirectoryMode:235 LockPersonality:235 IPAddressDeny:235 \
	PrivateMounts:239 ProtectHostname:242 RestrictSUIDSGID:242 ProtectKernelLogs:244 \
	ProtectClock:245; do
	[ "$v" -ge "${s#*:}" ] || add "/^${s%%:*}=/d"
done
# System call groups: 231; @system-service: 235. Without them the filter
# would allow next to nothing.
[ "$v" -ge 235 ] || add "/^SystemCallFilter=/d"
# Renamed or new values: ReadWritePaths= was ReadWriteDirectories= (231);
# ProtectSystem=strict came in 232 (full: /usr, /boot and /etc read-only,
# /etc/nflogd kept writable by ReadWriteDirectories=).
[ "$v" -ge 231 ] || add "s/^ReadWritePaths=/ReadWriteDirectories=/"
[ "$v" -ge 232 ] || add "s/^ProtectSystem=strict/ProtectSystem=full/"
# Kernels of that age (CentOS 7's 3.10) have their nf_tables set backends
# as modules, and load the hash one only while none is loaded: nflogd loads
# it at start (modprobe) and drops the capability before reading any input.
[ "$v" -ge 232 ] || add "s/^CapabilityBoundingSet=.*/& CAP_SYS_MODULE/"
exec sed "$script"
