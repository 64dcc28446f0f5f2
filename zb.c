#include <zstd.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  for(int f=1;f<argc;f++){
    FILE*fp=fopen(argv[f],"rb");char*buf=malloc(1<<20);size_t n=fread(buf,1,1<<20,fp);fclose(fp);
    size_t cap=ZSTD_compressBound(n);char*out=malloc(cap);
    ZSTD_CCtx*c=ZSTD_createCCtx();
    int levels[]={3,1,-1,-5};
    for(int li=0;li<4;li++){
      size_t z=0;int N=20000;double t0=now();
      for(int i=0;i<N;i++) z=ZSTD_compressCCtx(c,out,cap,buf,n,levels[li]);
      double t1=now();
      printf("%s n=%zu level %d -> %zu  %.2f us\n",argv[f],n,levels[li],z,(t1-t0)/N*1e6);
    }
    /* compress2 with sticky params */
    ZSTD_CCtx_setParameter(c,ZSTD_c_compressionLevel,3);
    size_t z=0;int N=20000;double t0=now();
    for(int i=0;i<N;i++) z=ZSTD_compress2(c,out,cap,buf,n);
    printf("%s compress2 level3 -> %zu %.2f us\n",argv[f],z,(now()-t0)/N*1e6);
  }
}
