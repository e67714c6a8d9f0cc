/* A deliberate race between OpenMP threads (every iteration adds to one
 * sum without a reduction), to show that TSan with libarcher.so reports
 * races in instrumented code while libomp's own synchronisation stays
 * silent. */
#include <stdio.h>

int main(void) {
  long sum = 0;
#pragma omp parallel for num_threads(3)
  for (int i = 0; i < 30000; ++i)
    sum += i;
  printf("%ld\n", sum);
  return 0;
}
