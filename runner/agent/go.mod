module eci-virtual/agent

go 1.26
