$meta-json$
<!--crebis:toc-->
$if(toc)$$table-of-contents$$endif$
<!--crebis:body-->
$body$
