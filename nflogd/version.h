/* One version for both programs. */
#ifndef NFLOGD_VERSION_H
#define NFLOGD_VERSION_H

#define NFLOGD_VERSION "0.1.0"

#endif
