#!/bin/sh
# iptables-nflog.sh: the NFLOG rule that feeds nflogd, for gateways whose
# firewall is iptables (not ClearOS: there rules/90-nflogd does this).
# Use it with "install_rules = no" in nflogd.conf. Run with -h for usage.

# usage [STATUS]: print the usage, exit STATUS (2).
usage() {
	cat <<-EOF
	usage: ${0##*/} [-46] [-c CONFIG] [-g GROUP] [-p PORTS] add|del|show LANIF...

	Log the new TCP connections that hosts behind each LAN interface LANIF
	open through this gateway to the SMTP ports, to nflogd's NFLOG group:

	  iptables -I FORWARD -i LANIF -p tcp -m multiport --dports PORTS \\
	    -m conntrack --ctstate NEW -j NFLOG --nflog-group GROUP --nflog-size 256

	and the same with ip6tables.

	  add    insert the rules at the top of FORWARD (a rule already there stays)
	  del    delete them
	  show   print the commands "add" would run, and run nothing

	  -4, -6     IPv4 or IPv6 only (default: both)
	  -c CONFIG  read nflog_group and ports from CONFIG
	             (default /etc/nflogd/nflogd.conf; absent: 25 and 25)
	  -g GROUP   NFLOG group, instead of the configuration's
	  -p PORTS   comma-separated ports, instead of the configuration's

	Set "install_rules = no" in nflogd.conf, or nflogd logs each connection
	itself as well. The rules last until the firewall is reloaded: run this
	from your firewall script, or save them (iptables-save, ip6tables-save,
	netfilter-persistent save).
	Exit status: 0 done, 1 an iptables command failed, 2 usage.
	EOF
	exit "${1:-2}"
}

# The value of KEY in CONFIG, as nflogd reads it: blanks trimmed, matching
# quotes removed, a " # comment" after the value dropped; the last one wins.
conf_get() {
	[ -r "$conf" ] || return 0
	sed -n "/^[[:space:]]*$1[[:space:]]*=/{
		s/^[^=]*=[[:space:]]*//
		s/^\"\([^\"]*\)\".*/\1/
		s/^'\([^']*\)'.*/\1/
		s/[[:space:]]#.*//
		s/[[:space:]]*\$//
		p
	}" "$conf" | tail -n 1
}

# run IPTABLES ARGS...: run it, or print it for "show".
run() {
	if [ "$action" = show ]; then
		echo "$*"
	else
		"$@"
	fi
}

# rules IPTABLES: add or delete the rules of one protocol.
rules() {
	ipt=$1
	# iptables 1.4 names the copy length --nflog-range, later versions
	# --nflog-size. nflogd limits the copy for its group anyway.
	if $ipt -j NFLOG --help 2>/dev/null | grep -q -e --nflog-size; then
		size=--nflog-size
	else
		size=--nflog-range
	fi
	for iface in $ifaces; do
		rest=$ports
		while [ -n "$rest" ]; do	# multiport takes 15 ports at most
			chunk=$(echo "$rest" | cut -d, -f1-15)
			rest=$(echo "$rest" | cut -s -d, -f16-)
			set -- -i "$iface" -p tcp -m multiport --dports "$chunk" \
				-m conntrack --ctstate NEW \
				-j NFLOG --nflog-group "$group" $size 256
			case $action in
			add)
				$ipt -C FORWARD "$@" 2>/dev/null || run $ipt -I FORWARD "$@" || return 1 ;;
			show)
				run $ipt -I FORWARD "$@" ;;
			del)
				while $ipt -C FORWARD "$@" 2>/dev/null; do
					run $ipt -D FORWARD "$@" || return 1
				done ;;
			esac
		done
	done
}

conf=/etc/nflogd/nflogd.conf
group='' ports='' v4=yes v6=yes
while getopts 46c:g:p:h opt; do
	case $opt in
	4) v6=no ;;
	6) v4=no ;;
	c) conf=$OPTARG ;;
	g) group=$OPTARG ;;
	p) ports=$OPTARG ;;
	h) usage 0 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || usage
action=$1
shift
ifaces=$*
case $action in add | del | show) ;; *) usage ;; esac
if [ "$v4$v6" = nono ]; then
	usage
fi

group=${group:-$(conf_get nflog_group)}
group=${group:-25}
ports=${ports:-$(conf_get ports)}
ports=$(echo "${ports:-25}" | tr -d ' \t')
case $group in
*[!0-9]*) echo "${0##*/}: NFLOG group '$group' is not a number" >&2; exit 2 ;;
esac
case $ports in
*[!0-9,]* | ,* | *, | *,,*) echo "${0##*/}: '$ports' is not a list of ports" >&2; exit 2 ;;
esac
if [ "$action" = add ]; then
	case $(conf_get install_rules) in
	no | false | 0) ;;
	*) echo "${0##*/}: note: $conf does not say install_rules = no;" \
		"nflogd logs each connection itself too" >&2 ;;
	esac
fi

rc=0
[ $v4 = yes ] && { rules "iptables -w" || rc=1; }
[ $v6 = yes ] && { rules "ip6tables -w" || rc=1; }
exit $rc
