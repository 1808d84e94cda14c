" trig rule files (marketing triggers): *.trig
au BufRead,BufNewFile *.trig setfiletype trig
