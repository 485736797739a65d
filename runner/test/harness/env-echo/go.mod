module eci-virtual/test/env-echo

go 1.26
