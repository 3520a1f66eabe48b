// A mutex for critical sections of a few hundred nanoseconds that every
// worker enters per connection (the lb's server pool). It spins briefly
// before it sleeps: with std::mutex a worker that met the other one inside
// such a section slept in futex(2) and waited to be scheduled again, which
// showed as tail latency under connection-per-request load. glibc's
// adaptive mutex does exactly this (a bounded spin, then the futex), so a
// holder that was preempted still costs a sleep, not a spinning CPU.
#pragma once

#include <pthread.h>

namespace vigie {

class SpinMutex {
 public:
  SpinMutex() {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&mu_, &attr);
    pthread_mutexattr_destroy(&attr);
  }
  ~SpinMutex() { pthread_mutex_destroy(&mu_); }
  SpinMutex(const SpinMutex&) = delete;
  SpinMutex& operator=(const SpinMutex&) = delete;

  void lock() { pthread_mutex_lock(&mu_); }
  bool try_lock() { return pthread_mutex_trylock(&mu_) == 0; }
  void unlock() { pthread_mutex_unlock(&mu_); }

 private:
  pthread_mutex_t mu_;
};

}  // namespace vigie
