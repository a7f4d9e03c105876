#include "ctl_server.h"
