#include "charter.h"
