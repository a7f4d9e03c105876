#include "csv_import.h"
