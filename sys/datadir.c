#include "datadir.h"
