#ifndef BOOTRINO_AGENT_VERSION_H
#define BOOTRINO_AGENT_VERSION_H
/* The Makefile passes -DBOOTRINO_VERSION from `git describe`. */
#ifndef BOOTRINO_VERSION
#define BOOTRINO_VERSION "0.1.0"
#endif
#endif
