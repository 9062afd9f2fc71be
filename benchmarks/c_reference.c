/* C reference for the GD simulator benchmark (benchmarks/bench_simulator.py).
 *
 * Compiled at benchmark time with
 *     gcc -O3 -march=native -ffast-math -fopenmp -fPIC -c   (then linked with -shared -fopenmp,
 *     without -ffast-math, so that crtfastmath.o does not set FTZ/DAZ in the Python process)
 * and called through ctypes.  What a competent C programmer writes for
 * x <- x - eta f'(x) over many initial points: OpenMP over blocks of points on all
 * cores, and within a block the step loop outside and the points inside (`omp simd`),
 * so that gcc vectorises log/log1p across points with glibc's libmvec.
 *
 * f1(x) = (1+|x|) ln(1+|x|) - |x|          (Fig. 4.1 left)
 *     f1'(x) = sign(x) ln(1+|x|),  f1''(x) = 1/(1+|x|)
 * f2(x) = C^2 x^2/3 if |x| <= 1/C else 1 - 2/(3C|x|)   (eq. 6.2, Fig. 4.1 middle)
 *     f2'(x) = 2C^2 x/3 | sign(x) 2/(3C x^2),  f2''(x) = 2C^2/3 | -4/(3C|x|^3)
 *     (the branch is a select, evaluated for every point: branch-free)
 *
 * With `lyap != NULL` the finite-time Lyapunov sum  sum_t log|1 - eta f''(x_t)|  is
 * accumulated per point (one log per point per step, as in the textbook definition).
 */
#include <math.h>
#include <omp.h>
#include <stddef.h>

#define BLOCK 512

static inline double f1_grad(double x) { return copysign(log1p(fabs(x)), x); }
static inline double f1_hess(double x) { return 1.0 / (1.0 + fabs(x)); }

void gd_f1(double *restrict x, double *restrict lyap, long n, double eta, long steps)
{
    #pragma omp parallel for schedule(static)
    for (long b = 0; b < n; b += BLOCK) {
        long hi = b + BLOCK < n ? b + BLOCK : n;
        if (lyap) {
            for (long t = 0; t < steps; ++t) {
                #pragma omp simd
                for (long i = b; i < hi; ++i) {
                    double xi = x[i];
                    lyap[i] += log(fabs(1.0 - eta * f1_hess(xi)));
                    x[i] = xi - eta * f1_grad(xi);
                }
            }
        } else {
            for (long t = 0; t < steps; ++t) {
                #pragma omp simd
                for (long i = b; i < hi; ++i) {
                    double xi = x[i];
                    x[i] = xi - eta * f1_grad(xi);
                }
            }
        }
    }
}

void gd_f2(double *restrict x, double *restrict lyap, long n, double eta, long steps, double C)
{
    const double inner_g = 2.0 * C * C / 3.0;   /* f2' = inner_g * x       for |x| <= 1/C */
    const double outer_g = 2.0 / (3.0 * C);     /* f2' = sign(x) outer_g / x^2             */
    const double outer_h = -4.0 / (3.0 * C);    /* f2'' = outer_h / |x|^3                  */
    const double edge = 1.0 / C;
    #pragma omp parallel for schedule(static)
    for (long b = 0; b < n; b += BLOCK) {
        long hi = b + BLOCK < n ? b + BLOCK : n;
        if (lyap) {
            for (long t = 0; t < steps; ++t) {
                #pragma omp simd
                for (long i = b; i < hi; ++i) {
                    double xi = x[i], a = fabs(xi);
                    int in = a <= edge;
                    double g = in ? inner_g * xi : copysign(outer_g / (a * a), xi);
                    double h = in ? inner_g : outer_h / (a * a * a);
                    lyap[i] += log(fabs(1.0 - eta * h));
                    x[i] = xi - eta * g;
                }
            }
        } else {
            for (long t = 0; t < steps; ++t) {
                #pragma omp simd
                for (long i = b; i < hi; ++i) {
                    double xi = x[i], a = fabs(xi);
                    double g = a <= edge ? inner_g * xi : copysign(outer_g / (a * a), xi);
                    x[i] = xi - eta * g;
                }
            }
        }
    }
}

int omp_threads(void)
{
    int n = 0;
    #pragma omp parallel
    {
        #pragma omp single
        n = omp_get_num_threads();
    }
    return n;
}
