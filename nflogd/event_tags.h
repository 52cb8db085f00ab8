/* epoll tags: which event source a ready fd belongs to (the high half of
 * data.u64; control.c puts a client's slot in the low half). */
#ifndef NFLOGD_EVENT_TAGS_H
#define NFLOGD_EVENT_TAGS_H

enum event_tag {
	TAG_SIGNAL = 1,
	TAG_INTAKE = 2,
	CONTROL_TAG_LISTEN = 3,
	CONTROL_TAG_CLIENT = 4,
	TAG_MONITOR = 5,
};

#endif
