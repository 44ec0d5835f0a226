from mrp_classify.cli import main

main()
